"""Charts as inline SVG strings (no library, no script): horizontal bars and heatmaps. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "font-family='system-ui, sans-serif' font-size='12'"
BAR = "#2b6cb0"
EMPTY = "#edf2f7"


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' {FONT} {extra}>{escape(text)}</text>"


def bars(title: str, rows: Sequence[tuple[str, float, str]], *, width: int = 900, label_width: int = 250,
         row_height: int = 22, max_value: float | None = None) -> str:
    """Horizontal bars: (label, value, value as printed) per row; bars scaled to `max_value` (else the max)."""
    top = max((v for _, v, _ in rows), default=0.0) if max_value is None else max_value
    plot = width - label_width - 260
    height = 30 + row_height * max(len(rows), 1)
    out = [f"<svg class='chart' role='img' aria-label='{escape(title)}' xmlns='http://www.w3.org/2000/svg' "
           f"width='{width}' height='{height}' viewBox='0 0 {width} {height}'>",
           f"<title>{escape(title)}</title>"]
    for i, (label, value, shown) in enumerate(rows):
        y = 20 + i * row_height
        w = 0 if not top else plot * value / top
        out.append(_text(label_width - 8, y + 14, label, "end"))
        out.append(f"<rect class='bar' x='{label_width}' y='{y + 3}' width='{plot:.1f}' height='{row_height - 6}' "
                   f"fill='{EMPTY}'/>")
        out.append(f"<rect class='bar value' x='{label_width}' y='{y + 3}' width='{max(w, 0):.1f}' "
                   f"height='{row_height - 6}' fill='{BAR}'><title>{escape(f'{label}: {shown}')}</title></rect>")
        out.append(_text(label_width + plot + 8, y + 14, shown))
    if not rows:
        out.append(_text(10, 36, "nothing to show"))
    out.append("</svg>")
    return "".join(out)


def heatmap(title: str, row_labels: Sequence[str], column_labels: Sequence[str],
            cells: dict[tuple[str, str], float], *, shown: dict[tuple[str, str], str] | None = None,
            colors: tuple[str, str] = ("#f7fbff", "#08519c"), cell: int = 34, label_width: int = 320,
            header: int = 200) -> str:
    """Rows x columns, each cell shaded by its value (0 = the first colour, the max = the second)."""
    width = label_width + cell * len(column_labels) + 160
    height = header + cell * len(row_labels) + 10
    top = max(cells.values(), default=0.0) or 1.0
    out = [f"<svg class='chart' role='img' aria-label='{escape(title)}' xmlns='http://www.w3.org/2000/svg' "
           f"width='{width}' height='{height}' viewBox='0 0 {width} {height}'>", f"<title>{escape(title)}</title>"]
    for j, col in enumerate(column_labels):
        x = label_width + j * cell + cell / 2
        out.append(_text(x, header - 6, col, "start", f"transform='rotate(-55 {x:.1f} {header - 6})'"))
    for i, row in enumerate(row_labels):
        y = header + i * cell
        out.append(_text(label_width - 8, y + cell / 2 + 4, row, "end"))
        for j, col in enumerate(column_labels):
            value = cells.get((row, col), 0.0)
            fill = _mix(colors[0], colors[1], value / top)
            text = (shown or {}).get((row, col), f"{value:g}" if value else "")
            tip = escape(f"{row} · {col}: {text or 0}")
            out.append(f"<rect class='cell' x='{label_width + j * cell}' y='{y}' width='{cell - 2}' "
                       f"height='{cell - 2}' fill='{fill}'><title>{tip}</title></rect>")
            if text:
                dark = value / top > 0.5
                out.append(_text(label_width + j * cell + (cell - 2) / 2, y + cell / 2 + 3, text, "middle",
                                 f"fill='{'#ffffff' if dark else '#1a202c'}'"))
    out.append("</svg>")
    return "".join(out)


def _mix(a: str, b: str, t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))
