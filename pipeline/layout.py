"""PDF file -> pages of positioned words, marks and ruled-table grids. The only module that imports pdfplumber.

Two character backends feed the same word grouping and table finder (pdfplumber's own functions, run on
plain dictionaries): PDFium (`pipeline/pdfium.py`, the default, ~40x faster) and pdfplumber (the reference).
tests/test_backends.py asserts they agree on every fixture and the real-world corpus (ADRs 0005, 0010). The
PDFium backend's characters arrive as columns, which pipeline/native/words.c groups into words in one call
(`table_to_words`); `_chars_to_words` is its reference, and the path for character dictionaries.
"""

from __future__ import annotations

import ctypes
import functools
import re
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.table import (
    TableSettings,
    cells_to_tables,
    edges_to_intersections,
    intersections_to_cells,
    merge_edges,
)
from pdfplumber.utils import extract_words, filter_edges

from pipeline import errors, native, pdfium
from pipeline.model import Box, Grid, Mark, Page, Word
from pipeline.pdfium import CharTable, RawPage
from pipeline.triage import NEEDS_OCR, raw_page_to_triage

_BOLD = re.compile(r"bold|black|heavy|semibold|demi|,b\b|-b\b", re.I)
_ITALIC = re.compile(r"italic|oblique", re.I)
_SUBSET = re.compile(r"^[A-Z]{6}\+")
# A filled shape this small (points) beside text is a drawn bullet.
DOT_MAX = 9.0


def _font(name: str) -> str:
    return _SUBSET.sub("", name or "")


BACKENDS = ("pdfium", "pdfplumber")
DEFAULT_BACKEND = "pdfium"  # CLSDATA_PDF_BACKEND (clsdata.settings) chooses per run
WORD_SETTINGS: dict[str, Any] = {"x_tolerance": 1.6, "y_tolerance": 2.5, "keep_blank_chars": False,
                                 "use_text_flow": False, "extra_attrs": ["fontname", "size", "upright"]}
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 3,
                  "join_tolerance": 3, "intersection_tolerance": 3}


_LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}


def _lines(chars: list[dict[str, Any]], key: str, tolerance: float) -> list[list[dict[str, Any]]]:
    """pdfplumber's `cluster_objects`: distinct values of `key` sorted and chained while consecutive values are
    within `tolerance`; characters grouped by cluster, in their order within a cluster."""
    values = sorted({c[key] for c in chars})
    cluster: dict[float, int] = {}
    index, last = 0, values[0]
    for v in values:
        if v > last + tolerance:
            index += 1
        cluster[v] = index
        last = v
    groups: list[list[dict[str, Any]]] = [[] for _ in range(index + 1)]
    for c in chars:
        groups[cluster[c[key]]].append(c)
    return [g for g in groups if g]


def _chars_to_words(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pdfplumber's `extract_words` with WORD_SETTINGS (no text flow, blanks split, ligatures expanded, runs of
    equal (upright, font, size) grouped first), in one pass without its generic machinery: ~3x faster, and
    asserted equal to it by tests/test_backends.py."""
    xt, yt = float(WORD_SETTINGS["x_tolerance"]), float(WORD_SETTINGS["y_tolerance"])
    words: list[dict[str, Any]] = []
    i, n = 0, len(chars)
    while i < n:
        first = chars[i]
        run_key = (first["upright"], first["fontname"], first["size"])
        j = i + 1
        while j < n and (chars[j]["upright"], chars[j]["fontname"], chars[j]["size"]) == run_key:
            j += 1
        run = chars[i:j]
        i = j
        upright = bool(run_key[0])
        # Upright text: lines by top, characters by x0. Rotated text: lines by x0, characters by top.
        lines = _lines(run, "top", yt) if upright else _lines(run, "x0", xt)
        for line in lines:
            if upright:
                line.sort(key=lambda c: c["x0"])
            else:
                line.sort(key=lambda c: (c["top"], c["bottom"]))
            current: list[dict[str, Any]] = []
            for c in line:
                if c["text"].isspace():
                    if current:
                        words.append(_merge(current))
                    current = []
                    continue
                if current:
                    p = current[-1]
                    if upright:
                        new = c["x0"] < p["x0"] or c["x0"] > p["x1"] + xt or abs(c["top"] - p["top"]) > yt
                    else:
                        new = c["top"] < p["top"] or c["top"] > p["bottom"] + yt or abs(c["x0"] - p["x0"]) > xt
                    if new:
                        words.append(_merge(current))
                        current = []
                current.append(c)
            if current:
                words.append(_merge(current))
    return words


def reference_chars_to_words(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pdfplumber's own `extract_words` with the same settings: the reference `_chars_to_words` is tested against."""
    keys = ("text", "x0", "x1", "top", "bottom", "fontname", "size", "upright")
    return [{k: w[k] for k in keys} for w in extract_words(chars, **WORD_SETTINGS)]


def _merge(chars: list[dict[str, Any]]) -> dict[str, Any]:
    first = chars[0]
    if len(chars) == 1:
        return {"text": _LIGATURES.get(first["text"], first["text"]), "x0": first["x0"], "x1": first["x1"],
                "top": first["top"], "bottom": first["bottom"], "fontname": first["fontname"],
                "size": first["size"], "upright": first["upright"]}
    return {"text": "".join(_LIGATURES.get(c["text"], c["text"]) for c in chars),
            "x0": min(c["x0"] for c in chars), "x1": max(c["x1"] for c in chars),
            "top": min(c["top"] for c in chars), "bottom": max(c["bottom"] for c in chars),
            "fontname": first["fontname"], "size": first["size"], "upright": first["upright"]}


@functools.lru_cache(maxsize=4096)
def _font_style(fontname: str) -> tuple[str, bool, bool]:
    """Font name without subset prefix, bold, italic."""
    font = _font(fontname)
    return font, bool(_BOLD.search(font)), bool(_ITALIC.search(font))


def _words(chars: list[dict[str, Any]]) -> list[Word]:
    out = []
    for w in _chars_to_words(chars):
        font, bold, italic = _font_style(w["fontname"] or "")
        out.append(Word(
            text=w["text"],
            box=Box(float(w["x0"]), float(w["top"]), float(w["x1"]), float(w["bottom"])),
            font=font, size=round(float(w["size"]), 2), bold=bold, italic=italic, upright=bool(w["upright"]),
        ))
    return out


_VP, _DOUBLE = ctypes.c_void_p, ctypes.c_double


def _native_words() -> Any:
    return native.function("words", "clsdata_words", ctypes.c_int, *[_VP] * 5, _DOUBLE, _DOUBLE, *[_VP] * 4)


def table_to_words(table: CharTable) -> list[Word] | None:
    """`_words` on characters held as columns, grouped by pipeline/native/words.c (the C twin of
    `_chars_to_words`, asserted equal to it by tests/test_backends.py): ~10x faster, and no character dictionary
    is built. None without the compiled helper."""
    fn = _native_words()
    if fn is None:
        return None
    n = len(table)
    wgeo, wfirst = array("d", bytes(32 * n)), array("i", bytes(4 * n))
    wstart, out = array("i", bytes(4 * (n + 1))), array("I", bytes(12 * len(table.codes)))
    m = fn(n, *(a.buffer_info()[0] for a in (table.codes, table.start, table.geo, table.font, table.flags)),
           float(WORD_SETTINGS["x_tolerance"]), float(WORD_SETTINGS["y_tolerance"]),
           *(a.buffer_info()[0] for a in (wgeo, wfirst, wstart, out)))
    if m < 0:
        raise MemoryError("word grouping: out of memory")
    text = out[: wstart[m]].tobytes().decode(native.UTF32)
    styles = [_font_style(name or "") for name in table.fonts]
    geo, font, flags = table.geo, table.font, table.flags
    words = []
    for k in range(m):
        first = wfirst[k]
        name, bold, italic = styles[font[first]]
        words.append(Word(text=text[wstart[k]:wstart[k + 1]],
                          box=Box(wgeo[4 * k], wgeo[4 * k + 2], wgeo[4 * k + 1], wgeo[4 * k + 3]),
                          font=name, size=round(geo[6 * first + 4], 2), bold=bold, italic=italic,
                          upright=bool(flags[first] & 1)))
    return words


def raw_page_to_words(raw: RawPage) -> list[Word]:
    """The page's words: from its character columns by the compiled helper when both are there, else from its
    character dictionaries."""
    words = table_to_words(raw.table) if raw.table is not None and raw.char_dicts is None else None
    return _words(raw.chars) if words is None else words


def _marks(fills: list[tuple[float, float, float, float]]) -> list[Mark]:
    out = []
    for x0, top, x1, bottom in fills:
        box = Box(float(x0), float(top), float(x1), float(bottom))
        if box.width <= DOT_MAX and box.height <= DOT_MAX and box.width > 1 and box.height > 1:
            out.append(Mark(box, "dot"))
        elif box.width > 20 and box.height > 8:
            out.append(Mark(box, "fill"))
    return out


def _grids(edges: list[dict[str, Any]]) -> list[Grid]:
    """Ruled tables (pdfplumber's table finder on drawn lines and shape edges) with at least 2x2 slots."""
    if not edges:
        return []
    settings = TableSettings.resolve(TABLE_SETTINGS)
    v = filter_edges(edges, "v", min_length=settings.edge_min_length_prefilter)
    h = filter_edges(edges, "h", min_length=settings.edge_min_length_prefilter)
    merged = merge_edges([*v, *h], snap_x_tolerance=settings.snap_x_tolerance,
                         snap_y_tolerance=settings.snap_y_tolerance, join_x_tolerance=settings.join_x_tolerance,
                         join_y_tolerance=settings.join_y_tolerance)
    merged = filter_edges(merged, min_length=settings.edge_min_length)
    points = edges_to_intersections(merged, settings.intersection_x_tolerance, settings.intersection_y_tolerance)
    out = []
    for group in cells_to_tables(intersections_to_cells(points)):
        cells = tuple(Box(*(float(v) for v in c)) for c in group)
        xs = {round(c.x0) for c in cells} | {round(c.x1) for c in cells}
        ys = {round(c.top) for c in cells} | {round(c.bottom) for c in cells}
        if len(xs) >= 3 and len(ys) >= 3:
            box = Box.union_of(cells)
            assert box is not None
            out.append(Grid(box, cells))
    return out


def edges_to_grids(edges: list[dict[str, Any]], words: tuple[Word, ...] = ()) -> list[Grid]:
    """Ruled tables from edges found elsewhere (lines of a scanned page, `pipeline/ocr.py`). A header row
    printed light on a dark band shows no column rules in a scan: a top row that is one cell over several
    columns, whose words each sit within one column below, is split at those columns."""
    return [_split_header(g, words) for g in _grids(edges)]


def _split_header(grid: Grid, words: tuple[Word, ...]) -> Grid:
    top = min(c.top for c in grid.cells)
    first = [c for c in grid.cells if c.top - top < 1.5]
    if len(first) != 1:
        return grid
    row = first[0]
    body = [c for c in grid.cells if c is not row]
    cuts: list[float] = []
    for x in sorted(c.x0 for c in body):
        if row.x0 + 3 < x < row.x1 - 3 and (not cuts or x - cuts[-1] > 3):
            cuts.append(x)
    inside = [w for w in words if row.x0 <= (w.box.x0 + w.box.x1) / 2 <= row.x1
              and row.top <= (w.box.top + w.box.bottom) / 2 <= row.bottom]
    if not cuts or not inside or any(w.box.x0 < x < w.box.x1 for w in inside for x in cuts):
        return grid
    bounds = [row.x0, *cuts, row.x1]
    parts = [Box(a, row.top, b, row.bottom) for a, b in zip(bounds, bounds[1:], strict=False)]
    filled = sum(1 for p in parts if any(p.x0 <= (w.box.x0 + w.box.x1) / 2 <= p.x1 for w in inside))
    if filled < 2:  # a banner (one title), not column labels
        return grid
    return Grid(grid.box, tuple([*parts, *body]))


def raw_page_to_page(raw: RawPage) -> Page:
    """Characters, edges and filled shapes (from either backend) -> words, marks and ruled-table grids, and
    the triage of the text layer (pages that need OCR keep no words: `pipeline/extract.py` reads them)."""
    words = raw_page_to_words(raw)
    status, reason = raw_page_to_triage(raw, [w.text for w in words])
    if status in NEEDS_OCR:  # its characters (none, or unreadable) are not words; OCR replaces them
        return Page(number=raw.number, width=raw.width, height=raw.height, words=(), chars=raw.glyphs,
                    unmapped_chars=raw.unmapped, triage=status, triage_reason=reason, method="none")
    return Page(number=raw.number, width=raw.width, height=raw.height, words=tuple(words),
                marks=tuple(_marks(raw.fills)), grids=tuple(_grids(raw.edges)), chars=raw.glyphs,
                unmapped_chars=raw.unmapped, triage=status, triage_reason=reason,
                method="text" if status == "ok" else "none")


def _plumber_raw_page(page: pdfplumber.page.Page) -> RawPage:
    chars = page.chars
    height = float(page.height)
    kept = [{"text": c["text"], "fontname": c["fontname"], "x0": c["x0"], "x1": c["x1"], "top": c["top"],
             "bottom": c["bottom"], "doctop": c["top"], "upright": c["upright"], "size": c["size"],
             "baseline": height - c["matrix"][5] + page.mediabox[1]}  # in pdfplumber's shifted space, as `top`
            for c in chars]
    return RawPage(
        number=page.page_number, width=float(page.width), height=height, char_dicts=kept,
        edges=list(page.edges),
        fills=[(o["x0"], o["top"], o["x1"], o["bottom"]) for o in [*page.rects, *page.curves] if o.get("fill")],
        unmapped=sum(1 for c in chars if "(cid:" in c["text"] or "\ufffd" in c["text"]),
        glyphs=sum(1 for c in chars if not c["text"].isspace()),
        image_share=min(1.0, sum(max(float(i["x1"]) - float(i["x0"]), 0.0)
                                 * max(float(i["bottom"]) - float(i["top"]), 0.0)
                                 for i in page.images) / max(float(page.width) * height, 1.0)),
    )


def _plumber_raw_pages(path: Path) -> Iterator[RawPage]:
    name = str(path)
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:
        raise _classify(name, exc) from exc
    with pdf:
        try:
            pages = pdf.pages
        except Exception as exc:
            raise _classify(name, exc) from exc
        for page in pages:
            try:
                yield _plumber_raw_page(page)
            except Exception as exc:
                err = _classify(name, exc)
                raise errors.DocumentError(name, err.reason, f"page {page.page_number}: {err.detail}") from exc
            finally:
                page.flush_cache()


def iter_raw_pages(path: Path, backend: str | None = None) -> Iterator[RawPage]:
    """The characters, edges and filled shapes of each page, one page at a time, from the chosen backend."""
    if not backend:
        from clsdata.settings import current

        backend = current().pdf_backend
    if backend == "pdfplumber":
        return _plumber_raw_pages(path)
    if backend == "pdfium":
        return pdfium.iter_raw_pages(path)
    raise ValueError(f"unknown PDF backend {backend!r} (choose from {', '.join(BACKENDS)})")


def iter_pages(path: Path, backend: str | None = None) -> Iterator[Page]:
    """Yield the pages of a PDF one at a time (never all characters of a document in memory at once)."""
    for raw in iter_raw_pages(path, backend):
        yield raw_page_to_page(raw)


def _classify(name: str, exc: Exception) -> errors.DocumentError:
    """pdfminer/pdfplumber exception -> DocumentError with a reason (pdfplumber wraps pdfminer's errors)."""
    inner: BaseException = exc
    while inner.args and isinstance(inner.args[0], BaseException):
        inner = inner.args[0]
    if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)) or "password" in str(inner).lower():
        return errors.DocumentError(name, errors.ENCRYPTED, type(inner).__name__)
    return errors.DocumentError(name, errors.CORRUPT, f"{type(inner).__name__}: {str(inner)[:200]}")


def pdf_to_pages(path: Path, backend: str | None = None) -> list[Page]:
    return list(iter_pages(path, backend))


def bare_pdfplumber_chars(path: Path) -> int:
    """Benchmark baseline: pdfplumber's `page.chars` on every page, nothing else. Returns the page count."""
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            _ = page.chars
            page.flush_cache()
        return len(pdf.pages)
