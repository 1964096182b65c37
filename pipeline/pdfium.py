"""The fast character backend: PDFium (pypdfium2) -> pdfplumber-shaped characters, edges and filled shapes.

pdfplumber (pdfminer) parses ~7 dense pages/s; PDFium ~40x faster. This module reads, per page, what
`layout.py` needs and nothing more, in the same coordinates and conventions as pdfplumber (top-left origin,
points), so that the words, marks and table grids built from it are those of the reference backend:

- characters: text, x0/x1 (glyph advance), top/bottom (font size above the baseline's descent, as pdfminer
  computes them), font name (subset prefix kept), size, upright, and whether the glyph lacked a Unicode map;
- edges: every straight segment of every painted path, split in subpaths, with bezier control points kept
  (pdfminer's `curve_to_edges`), for pdfplumber's table finder;
- filled shapes: the bounding box of every filled subpath (pdfminer's rects and curves with `fill`).

Whitespace glyphs are dropped: pdfplumber's word grouping splits on gaps and spaces alike. The equivalence of
the two backends is asserted by tests/test_backends.py on every fixture and the real-world corpus.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from pipeline import errors

Obj = dict[str, Any]


@dataclass
class RawPage:
    """What one page holds, in pdfplumber's dictionary shapes."""

    number: int  # 1-based
    width: float
    height: float
    chars: list[Obj] = field(default_factory=list)
    edges: list[Obj] = field(default_factory=list)
    fills: list[tuple[float, float, float, float]] = field(default_factory=list)  # x0, top, x1, bottom
    unmapped: int = 0
    glyphs: int = 0  # characters other than whitespace


class _Fonts:
    """Per-document cache: font handle -> (name, descent per unit of font size)."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[str, float]] = {}

    def get(self, font: Any) -> tuple[str, float]:
        key = ctypes.cast(font, ctypes.c_void_p).value or 0
        hit = self._cache.get(key)
        if hit is None:
            buf = ctypes.create_string_buffer(256)
            n = raw.FPDFFont_GetBaseFontName(font, buf, 256)
            name = buf.raw[: max(n - 1, 0)].decode("utf-8", "replace") if n else ""
            descent = ctypes.c_float()
            ok = raw.FPDFFont_GetDescent(font, ctypes.c_float(1000.0), descent)
            hit = (name, descent.value / 1000.0 if ok else 0.0)
            self._cache[key] = hit
        return hit


def _page_ctm(page: Any) -> tuple[tuple[float, ...], float, float]:
    """pdfminer's page transform (media box origin, /Rotate) and the page's width and height after it."""
    x0, y0, x1, y1 = page.get_mediabox()
    x0, x1 = sorted((float(x0), float(x1)))
    y0, y1 = sorted((float(y0), float(y1)))
    rotate = page.get_rotation() % 360
    if rotate == 90:
        return (0.0, -1.0, 1.0, 0.0, -y0, x1), y1 - y0, x1 - x0
    if rotate == 180:
        return (-1.0, 0.0, 0.0, -1.0, x1, y1), x1 - x0, y1 - y0
    if rotate == 270:
        return (0.0, 1.0, -1.0, 0.0, y1, -x0), y1 - y0, x1 - x0
    return (1.0, 0.0, 0.0, 1.0, -x0, -y0), x1 - x0, y1 - y0


def _chars(textpage: Any, ctm: tuple[float, ...], height: float, fonts: _Fonts, out: RawPage) -> None:
    """Per character: 4 PDFium calls (unicode, map error, text object, origin); what a text object shares (font,
    size, matrix) and glyph widths are read once and cached."""
    n = raw.FPDFText_CountChars(textpage)
    ox, oy = ctypes.c_double(), ctypes.c_double()
    loose = raw.FS_RECTF()
    m = raw.FS_MATRIX()
    tf = ctypes.c_float()
    width = ctypes.c_float()
    thousand = ctypes.c_float(1000.0)
    objects: dict[int, tuple[Any, str, float, float, tuple[float, float, float, float]] | None] = {}
    widths: dict[tuple[int, int], float | None] = {}
    last: tuple[int | None, float, float] | None = None  # (text object, origin) of the previous glyph
    ligature = False  # the previous character is a ligature whose advance is not known yet
    for i in range(max(n, 0)):
        code = raw.FPDFText_GetUnicode(textpage, i)
        if code in (10, 13):
            continue
        if code != 2 and 0 < code < 0x110000 and chr(code).isspace():
            # A typed space: a word break where it stands, as in pdfplumber (PDFium's generated spaces are not
            # in the content stream and are left out).
            if out.chars and raw.FPDFText_IsGenerated(textpage, i) != 1:
                raw.FPDFText_GetLooseCharBox(textpage, i, loose)
                prev = out.chars[-1]
                (x0, top), (x1, bottom) = (_apply(ctm, loose.left, loose.top, height),
                                           _apply(ctm, loose.right, loose.bottom, height))
                out.chars.append({**prev, "text": " ", "x0": min(x0, x1), "x1": max(x0, x1),
                                  "top": min(top, bottom), "bottom": max(top, bottom), "doctop": min(top, bottom)})
            ligature = False
            last = None
            continue
        if code == 2 or (code in (0x2D, 0xAD) and raw.FPDFText_IsHyphen(textpage, i) == 1):
            text = "-"  # PDFium reports a line-end hyphen as U+0002
        elif 0 < code < 0x110000 and not 0xD800 <= code < 0xE000:
            text = chr(code)
        else:
            text = "\ufffd"
        unmapped = raw.FPDFText_HasUnicodeMapError(textpage, i) == 1
        obj = raw.FPDFText_GetTextObject(textpage, i)
        raw.FPDFText_GetCharOrigin(textpage, i, ox, oy)
        key = ctypes.cast(obj, ctypes.c_void_p).value
        here = (key, ox.value, oy.value)
        if last is not None and key is not None and here == last and out.chars:
            # A ligature glyph (ﬁ, ﬀ…) that PDFium expands into several characters: pdfminer keeps one
            # character, whose advance is where the next glyph of the same run starts.
            out.chars[-1]["text"] += text
            ligature = True
            continue
        if ligature and last is not None and abs(here[2] - last[2]) < 0.01:
            prev = out.chars[-1]
            start = ox.value * ctm[0] + oy.value * ctm[2] + ctm[4]
            if 0 < start - prev["x0"] < 2 * prev["size"]:
                prev["x1"] = max(prev["x1"], start)
        ligature = False
        last = here
        out.glyphs += 1
        if unmapped:
            out.unmapped += 1
            text = "\ufffd"
        if key is None:
            continue
        if key not in objects:
            if raw.FPDFTextObj_GetFontSize(obj, tf):
                font = raw.FPDFTextObj_GetFont(obj)
                name, descent = fonts.get(font)
                raw.FPDFText_GetMatrix(textpage, i, m)  # one matrix per text object
                objects[key] = (font, name, descent, tf.value, (m.a, m.b, m.c, m.d))
            else:
                objects[key] = None
        shared = objects[key]
        if shared is None:
            continue
        font, name, descent, size_t, (ma, mb, mc, md) = shared
        # Advance along the baseline in text space: the font's width for the character (pdfminer reads the
        # same /Widths); else the loose box's extent along the baseline direction.
        adv: float | None = None
        if len(text) == 1:
            wkey = (ctypes.cast(font, ctypes.c_void_p).value or 0, ord(text))
            if wkey not in widths:
                widths[wkey] = width.value / 1000.0 if raw.FPDFFont_GetGlyphWidth(font, ord(text), thousand,
                                                                                  width) else None
            unit = widths[wkey]
            adv = None if unit is None else unit * size_t
        if adv is None:
            raw.FPDFText_GetLooseCharBox(textpage, i, loose)
            if abs(ma) >= abs(mb):
                adv = (loose.right - loose.left) / abs(ma) if ma else 0.0
            else:
                adv = (loose.top - loose.bottom) / abs(mb) if mb else 0.0
        a, b, c, d, e, f = _compose((ma, mb, mc, md, ox.value, oy.value), ctm)
        # pdfminer: bbox from two text-space corners (0, descent) and (adv, descent + size), through the matrix.
        desc = descent * size_t
        x_a, y_a = c * desc + e, d * desc + f
        x_b, y_b = a * adv + c * (desc + size_t) + e, b * adv + d * (desc + size_t) + f
        x0, x1 = (x_a, x_b) if x_a <= x_b else (x_b, x_a)
        y0, y1 = (y_a, y_b) if y_a <= y_b else (y_b, y_a)
        upright = a * d > 0 and b * c <= 0
        out.chars.append({
            "text": text, "fontname": name, "x0": x0, "x1": x1, "top": height - y1, "bottom": height - y0,
            "doctop": height - y1, "upright": upright, "size": (y1 - y0) if abs(b) < abs(a) else (x1 - x0),
            "baseline": height - f,
        })


def _apply(ctm: tuple[float, ...], x: float, y: float, height: float) -> tuple[float, float]:
    a, b, c, d, e, f = ctm
    return a * x + c * y + e, height - (b * x + d * y + f)


def _point(seg: Any, matrix: tuple[float, ...], height: float) -> tuple[float, float]:
    x, y = ctypes.c_float(), ctypes.c_float()
    raw.FPDFPathSegment_GetPoint(seg, x, y)
    a, b, c, d, e, f = matrix
    px, py = a * x.value + c * y.value + e, b * x.value + d * y.value + f
    return px, height - py


def _matrix(obj: Any) -> tuple[float, ...]:
    m = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: tuple[float, ...], outer: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _edge(p0: tuple[float, float], p1: tuple[float, float]) -> Obj:
    x0, x1 = sorted((p0[0], p1[0]))
    top, bottom = sorted((p0[1], p1[1]))
    orientation = "v" if p0[0] == p1[0] else ("h" if p0[1] == p1[1] else None)
    return {"object_type": "curve_edge", "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "width": x1 - x0, "height": bottom - top, "orientation": orientation}


def _path(obj: Any, matrix: tuple[float, ...], height: float, out: RawPage) -> None:
    fillmode, stroke = ctypes.c_int(), ctypes.c_int()
    if not raw.FPDFPath_GetDrawMode(obj, fillmode, stroke):
        return
    filled = fillmode.value != raw.FPDF_FILLMODE_NONE
    if not filled and not stroke.value:
        return
    subpaths: list[list[tuple[float, float]]] = []
    for k in range(max(raw.FPDFPath_CountSegments(obj), 0)):
        seg = raw.FPDFPath_GetPathSegment(obj, k)
        kind = raw.FPDFPathSegment_GetType(seg)
        point = _point(seg, matrix, height)
        if kind == raw.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([point])
        else:
            subpaths[-1].append(point)
        if raw.FPDFPathSegment_GetClose(seg) and subpaths[-1][0] != point:
            subpaths[-1].append(subpaths[-1][0])
    for pts in subpaths:
        if len(pts) < 2:
            continue
        out.edges.extend(_edge(p, q) for p, q in zip(pts, pts[1:], strict=False))
        if filled and len(pts) > 2:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            out.fills.append((min(xs), min(ys), max(xs), max(ys)))


def _objects(container: Any, count: Any, get: Any, matrix: tuple[float, ...], height: float, out: RawPage,
             depth: int = 0) -> None:
    for k in range(max(count(container), 0)):
        obj = get(container, k)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            _path(obj, _compose(_matrix(obj), matrix), height, out)
        elif kind == raw.FPDF_PAGEOBJ_FORM and depth < 15:
            _objects(obj, raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject,
                     _compose(_matrix(obj), matrix), height, out, depth + 1)


def iter_raw_pages(path: Path) -> Iterator[RawPage]:
    """Yield the pages of a PDF one at a time, each page's PDFium handles closed before the next."""
    name = str(path)
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        reason = errors.ENCRYPTED if "password" in text or "security" in text else errors.CORRUPT
        raise errors.DocumentError(name, reason, f"PDFium: {exc}") from exc
    fonts = _Fonts()
    try:
        for index in range(len(pdf)):
            try:
                page = pdf[index]
            except pdfium.PdfiumError as exc:
                raise errors.DocumentError(name, errors.CORRUPT, f"page {index + 1}: PDFium: {exc}") from exc
            try:
                ctm, width, height = _page_ctm(page)
                out = RawPage(index + 1, width, height)
                textpage = page.get_textpage()
                try:
                    _chars(textpage, ctm, height, fonts, out)
                finally:
                    textpage.close()
                _objects(page, raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject, ctm, height, out)
            finally:
                page.close()
            yield out
    finally:
        pdf.close()


def render_page_png(path: Path, number: int, scale: float = 1.5) -> bytes:
    """Page `number` (1-based) as a PNG at `scale` x 72 dpi, for the review page (coordinates: PDF points x scale,
    top-left origin, like the bounding boxes)."""
    import io

    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= number <= len(pdf):
            raise ValueError(f"{path}: no page {number} (the file has {len(pdf)})")
        page = pdf[number - 1]
        try:
            image = page.render(scale=scale).to_pil()
        finally:
            page.close()
    finally:
        pdf.close()
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def assemble_pdf(pages: list[tuple[Path, int]], out: Path) -> None:
    """A new PDF made of the given pages (file, 0-based index) copied as they are (fonts, drawings, layout):
    synthetic documents for benchmarks (`clsdata synth`)."""
    target = pdfium.PdfDocument.new()
    opened: dict[Path, Any] = {}
    try:
        for path, index in pages:
            if path not in opened:
                opened[path] = pdfium.PdfDocument(str(path))
            target.import_pages(opened[path], [index])
        out.parent.mkdir(parents=True, exist_ok=True)
        target.save(str(out))
    finally:
        target.close()
        for doc in opened.values():
            doc.close()


def page_count(path: Path) -> int:
    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def bare_pdfium_text(path: Path) -> int:
    """Benchmark baseline: PDFium's text of every page, nothing else. Returns the page count."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        return len(pdf)
    finally:
        pdf.close()
