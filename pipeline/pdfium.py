"""The fast character backend: PDFium (pypdfium2) -> pdfplumber-shaped characters, edges and filled shapes.

pdfplumber (pdfminer) parses ~7 dense pages/s; PDFium ~40x faster. This module reads, per page, what
`layout.py` needs and nothing more, in the same coordinates and conventions as pdfplumber (top-left origin,
points), so that the words, marks and table grids built from it are those of the reference backend:

- characters: text, x0/x1 (glyph advance), top/bottom (font size above the baseline's descent, as pdfminer
  computes them), font name (without its subset tag), size, upright, and whether the glyph lacked a Unicode map;
- edges: every straight segment of every painted path, split in subpaths, a curve by its end points (pdfminer's
  `paint_path` keeps no control point; pdfplumber's `curve_to_edges`), for pdfplumber's table finder;
- filled shapes: the bounding box of every filled subpath (pdfminer's rects and curves with `fill`);
- typed spaces PDFium's text page leaves out (text objects of blank glyphs only), found by the page-object walk.

PDFium's generated spaces and line breaks are dropped (they are not in the content stream); typed spaces are kept,
as pdfplumber's word grouping splits on them. The equivalence of the two backends is asserted by
tests/test_backends.py on every fixture and the real-world corpus.

The per-character and per-segment loops run in C (pipeline/native/pdfium_chars.c, compiled on first use, ADR
0010); `_chars_py` and `_objects` here are their reference, used without a compiler and compared with them bit
for bit by the tests.
"""

from __future__ import annotations

import ctypes
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from pipeline import errors, native

Obj = dict[str, Any]


@dataclass(slots=True)
class CharTable:
    """A page's characters as columns, as the compiled helper returns them: pdfplumber's dictionaries are built
    only when asked for (`dicts`); the word grouping reads the columns (`layout.py`, pipeline/native/words.c)."""

    codes: array  # every character's text as UTF-32 code points, joined
    text: str  # the same, decoded
    start: array  # character i is text[start[i]:start[i + 1]] (int)
    geo: array  # x0, x1, top, bottom, size, baseline per character (double)
    font: array  # per character, its font's index in `fonts` (int; equal names, equal index)
    flags: array  # per character, bit 0: upright (unsigned char)
    fonts: tuple[str, ...]  # font names, without subset tag

    def __len__(self) -> int:
        return len(self.font)

    def dicts(self) -> list[Obj]:
        """The characters in pdfplumber's shape."""
        text, start, geo, n = self.text, self.start, self.geo, len(self.font)
        texts = list(text) if start[n] == n else [text[i:j] for i, j in zip(start[:n], start[1:], strict=True)]
        tops = geo[2::6]
        return [{"text": t, "fontname": self.fonts[f], "x0": x0, "x1": x1, "top": top, "bottom": bottom,
                 "doctop": top, "upright": bool(fl & 1), "size": size, "baseline": baseline}
                for t, f, x0, x1, top, bottom, fl, size, baseline in zip(
                    texts, self.font, geo[0::6], geo[1::6], tops, geo[3::6], self.flags, geo[4::6], geo[5::6],
                    strict=True)]


@dataclass
class RawPage:
    """What one page holds, in pdfplumber's dictionary shapes (characters possibly as columns, `table`)."""

    number: int  # 1-based
    width: float
    height: float
    char_dicts: list[Obj] | None = None  # the characters, or None while only `table` holds them
    edges: list[Obj] = field(default_factory=list)
    fills: list[tuple[float, float, float, float]] = field(default_factory=list)  # x0, top, x1, bottom
    unmapped: int = 0
    glyphs: int = 0  # characters other than whitespace
    image_share: float = 0.0  # share of the page area under image objects (capped at 1): scans
    table: CharTable | None = None  # the characters as columns (the compiled helper's)

    @property
    def chars(self) -> list[Obj]:
        """The characters in pdfplumber's shape (built from `table` on first use)."""
        if self.char_dicts is None:
            self.char_dicts = self.table.dicts() if self.table is not None else []
        return self.char_dicts

    @property
    def text(self) -> str:
        """Every character's text, joined."""
        return self.table.text if self.table is not None else "".join(c["text"] for c in self.chars)


class _Api:
    """PDFium's per-character text functions re-declared with plain pointer-sized integer arguments: called
    ~2,000 times a page, pypdfium2's typed wrappers (argument conversion, `_as_parameter_`) cost more than the
    calls themselves."""

    def __init__(self) -> None:
        vp, i = ctypes.c_void_p, ctypes.c_int

        def bind(name: str, restype: Any, *argtypes: Any) -> Any:
            address = ctypes.cast(getattr(raw, name), ctypes.c_void_p).value or 0
            return ctypes.CFUNCTYPE(restype, *argtypes)(address)

        self.count = bind("FPDFText_CountChars", i, vp)
        self.unicode = bind("FPDFText_GetUnicode", ctypes.c_uint, vp, i)
        self.map_error = bind("FPDFText_HasUnicodeMapError", i, vp, i)
        self.generated = bind("FPDFText_IsGenerated", i, vp, i)
        self.hyphen = bind("FPDFText_IsHyphen", i, vp, i)
        self.text_object = bind("FPDFText_GetTextObject", vp, vp, i)
        self.origin = bind("FPDFText_GetCharOrigin", i, vp, i, vp, vp)
        self.loose_box = bind("FPDFText_GetLooseCharBox", i, vp, i, vp)
        self.char_box = bind("FPDFText_GetCharBox", i, vp, i, vp, vp, vp, vp)
        self.font_size = bind("FPDFTextObj_GetFontSize", i, vp, vp)
        self.font = bind("FPDFTextObj_GetFont", vp, vp)
        self.matrix = bind("FPDFText_GetMatrix", i, vp, i, vp)
        self.glyph_width = bind("FPDFFont_GetGlyphWidth", i, vp, ctypes.c_uint, ctypes.c_float, vp)
        self.base_font_name = bind("FPDFFont_GetBaseFontName", ctypes.c_size_t, vp, vp, ctypes.c_size_t)
        self.descent = bind("FPDFFont_GetDescent", i, vp, ctypes.c_float, vp)
        self.page_count = bind("FPDFPage_CountObjects", i, vp)
        self.page_object = bind("FPDFPage_GetObject", vp, vp, i)
        self.form_count = bind("FPDFFormObj_CountObjects", i, vp)
        self.form_object = bind("FPDFFormObj_GetObject", vp, vp, ctypes.c_ulong)
        self.object_type = bind("FPDFPageObj_GetType", i, vp)
        self.object_matrix = bind("FPDFPageObj_GetMatrix", i, vp, vp)
        self.draw_mode = bind("FPDFPath_GetDrawMode", i, vp, vp, vp)
        self.count_segments = bind("FPDFPath_CountSegments", i, vp)
        self.segment = bind("FPDFPath_GetPathSegment", vp, vp, i)
        self.segment_type = bind("FPDFPathSegment_GetType", i, vp)
        self.segment_close = bind("FPDFPathSegment_GetClose", i, vp)
        self.point = bind("FPDFPathSegment_GetPoint", i, vp, vp, vp)
        self.bounds = bind("FPDFPageObj_GetBounds", i, vp, vp, vp, vp, vp)
        # The functions pipeline/native/pdfium_chars.c calls, in the order of its `enum fn` and `enum path_fn`.
        self.native_functions = _addresses(
            "FPDFText_GetUnicode", "FPDFText_HasUnicodeMapError", "FPDFText_IsGenerated", "FPDFText_IsHyphen",
            "FPDFText_GetTextObject", "FPDFText_GetCharOrigin", "FPDFText_GetLooseCharBox", "FPDFText_GetMatrix",
            "FPDFTextObj_GetFontSize", "FPDFTextObj_GetFont", "FPDFFont_GetGlyphWidth", "FPDFFont_GetDescent",
            "FPDFText_GetCharBox")
        self.native_path_functions = _addresses(
            "FPDFPage_CountObjects", "FPDFPage_GetObject", "FPDFFormObj_CountObjects", "FPDFFormObj_GetObject",
            "FPDFPageObj_GetType", "FPDFPageObj_GetMatrix", "FPDFPath_GetDrawMode", "FPDFPath_CountSegments",
            "FPDFPath_GetPathSegment", "FPDFPathSegment_GetType", "FPDFPathSegment_GetClose",
            "FPDFPathSegment_GetPoint", "FPDFPageObj_GetBounds")


def _addresses(*names: str) -> Any:
    """A C array of the addresses of PDFium's functions `names`, as pypdfium2 loaded them."""
    return (ctypes.c_void_p * len(names))(*(ctypes.cast(getattr(raw, name), ctypes.c_void_p).value or 0
                                            for name in names))


_API: _Api | None = None


def _api() -> _Api:
    global _API
    if _API is None:
        _API = _Api()
    return _API


# A subset font's tag ("ABCDEE+Calibri"). PDFium drops it from embedded simple fonts (CPDF_SimpleFont::LoadCommon)
# and keeps it on CID fonts: Word embeds one Calibri subset both ways, one name for pdfminer, two for PDFium, and the
# word grouping splits runs by font name. Names are compared without it, as the pipeline does (`layout._font`).
_SUBSET = re.compile(r"^[A-Z]{6}\+")


class _Fonts:
    """Per-document cache: font handle -> (name without subset tag, descent per unit of font size)."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[str, float]] = {}
        self._widths: dict[int, dict[int, float | None]] = {}

    def widths(self, font: int) -> dict[int, float | None]:
        """The font's glyph widths per code point (per unit of font size), filled as they are read."""
        return self._widths.setdefault(font, {})

    def get(self, font: int) -> tuple[str, float]:
        hit = self._cache.get(font)
        if hit is None:
            api = _api()
            buf = ctypes.create_string_buffer(256)
            n = api.base_font_name(font, ctypes.addressof(buf), 256)
            name = _SUBSET.sub("", buf.raw[: max(n - 1, 0)].decode("utf-8", "replace")) if n else ""
            descent = ctypes.c_float()
            ok = api.descent(font, 1000.0, ctypes.addressof(descent))
            hit = (name, descent.value / 1000.0 if ok else 0.0)
            self._cache[font] = hit
        return hit


def _page_ctm(page: Any) -> tuple[tuple[float, ...], float, float]:
    """pdfplumber's page transform and the page's width and height after it: pdfminer's (media box origin,
    /Rotate), then pdfplumber's shift back by the media box's origin (its issue #1181: x0 + mediabox x0, top
    + mediabox top), which only matters for media boxes not at (0, 0)."""
    # The page's own /MediaBox; an inherited one (PDFium's FPDFPage_GetMediaBox sees only the page's, and
    # pypdfium2 would then fall back to US Letter) through the page's bounding box, media box and crop box met.
    x0, y0, x1, y1 = page.get_mediabox(fallback_ok=False) or page.get_bbox()
    x0, x1 = sorted((float(x0), float(x1)))
    y0, y1 = sorted((float(y0), float(y1)))
    rotate = page.get_rotation() % 360
    if rotate == 90:
        return (0.0, -1.0, 1.0, 0.0, 0.0, x1 + x0), y1 - y0, x1 - x0  # pdfminer's (.., -y0, x1) + (y0, x0)
    if rotate == 180:
        return (-1.0, 0.0, 0.0, -1.0, x1 + x0, y1 + y0), x1 - x0, y1 - y0  # (.., x1, y1) + (x0, y0)
    if rotate == 270:
        return (0.0, 1.0, -1.0, 0.0, y1 + y0, 0.0), y1 - y0, x1 - x0  # (.., y1, -x0) + (y0, x0)
    return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), x1 - x0, y1 - y0  # (.., -x0, -y0) + (x0, y0)


@dataclass(frozen=True, slots=True)
class _Run:
    """What the characters of one text object share, in page space: font, name, size in text space, the
    composed matrix (a, b, c, d), the offsets of the two bbox corners from the origin, and orientation."""

    font: int
    name: str
    size: float
    a: float
    b: float
    ta: float  # the text object's own matrix (a, b), for the loose-box fallback
    tb: float
    upright: bool
    low: tuple[float, float]  # (c, d) . descent
    high: tuple[float, float]  # (c, d) . (descent + size)
    widths: dict[int, float | None]  # the font's, shared


def _run(api: _Api, textpage: int, index: int, obj: int, ctm: tuple[float, ...], fonts: _Fonts,
         shared: dict[tuple[float, ...], _Run]) -> _Run | None:
    """The run of a text object. Producers often write one text object per word: objects with the same font,
    size and matrix share one `_Run`."""
    tf, m = ctypes.c_float(), raw.FS_MATRIX()
    if not api.font_size(obj, ctypes.addressof(tf)):
        return None
    font = api.font(obj) or 0
    api.matrix(textpage, index, ctypes.addressof(m))  # one matrix per text object
    key = (font, tf.value, m.a, m.b, m.c, m.d)
    hit = shared.get(key)
    if hit is None:
        name, descent = fonts.get(font)
        a, b, c, d, _, _ = _compose((m.a, m.b, m.c, m.d, 0.0, 0.0), ctm)
        size = tf.value
        desc = descent * size
        hit = shared[key] = _Run(font, name, size, a, b, m.a, m.b, a * d > 0 and b * c <= 0,
                                 (c * desc, d * desc), (c * (desc + size), d * (desc + size)),
                                 fonts.widths(font))
    return hit


_VP, _INT, _DOUBLE = ctypes.c_void_p, ctypes.c_int, ctypes.c_double


def _native(name: str, *argtypes: Any) -> Any:
    """Function `name` of pipeline/native/pdfium_chars.c, typed (it returns an int); None without the helper."""
    return native.function("pdfium_chars", name, *argtypes)


def _native_glyphs() -> Any:
    return _native("clsdata_page_glyphs", _VP, _INT, _VP, _VP, _DOUBLE, _VP, _INT, _VP, _VP, _VP, _VP, _VP, _VP)


def _chars_native(fn: Any, tp: int, ctm: tuple[float, ...], height: float, fonts: _Fonts, out: RawPage,
                  blanks: array) -> None:
    """`_chars_py` in one C call (pipeline/native/pdfium_chars.c): the same characters, ~10x faster, kept as
    columns (`out.table`)."""
    api = _api()
    n = max(api.count(tp), 0)
    text, start = array("I", bytes(4 * n)), array("i", bytes(4 * (n + 1)))
    geo, font, flags = array("d", bytes(48 * n)), array("Q", bytes(8 * n)), array("B", bytes(n))
    counts = array("i", [0, 0])
    fns = api.native_functions
    matrix = array("d", ctm)
    m = max(fn(tp, n, ctypes.addressof(fns), matrix.buffer_info()[0], height, blanks.buffer_info()[0],
               len(blanks) // 2, *(a.buffer_info()[0] for a in (text, start, geo, font, flags, counts))), 0)
    out.glyphs += counts[0]
    out.unmapped += counts[1]
    codes = text[: start[m]]
    names: dict[str, int] = {}
    number = {f: names.setdefault(fonts.get(f)[0], len(names)) for f in set(font[:m])}
    out.table = CharTable(codes, codes.tobytes().decode(native.UTF32), start[: m + 1], geo[: 6 * m],
                          array("i", map(number.__getitem__, font[:m])), flags[:m], tuple(names))


def _chars(textpage: Any, ctm: tuple[float, ...], height: float, fonts: _Fonts, out: RawPage, blanks: array,
           use_native: bool = True) -> None:
    """PDFium's characters of a page in pdfplumber's shape: by the compiled helper when there is one, else by
    `_chars_py`, its reference. `blanks`: the origins of the page's blank text objects (`_paths`)."""
    tp = ctypes.cast(textpage.raw, ctypes.c_void_p).value or 0
    fn = _native_glyphs() if use_native else None
    if fn is None:
        _chars_py(tp, ctm, height, fonts, out, blanks)
    else:
        _chars_native(fn, tp, ctm, height, fonts, out, blanks)


def _blank_between(blanks: array, run: _Run, pe: float, pf: float, qe: float, qf: float) -> int:
    """The first blank text object (its index in `blanks`, pairs e, f) on the baseline of the glyph placed at
    (pe, pf), after it and before (qe, qf) along the run's direction; -1 when none. On the baseline: within a tenth
    of the font size of it."""
    a, b = run.a, run.b
    reach, tol = (qe - pe) * a + (qf - pf) * b, 0.1 * run.size
    for k in range(len(blanks) // 2):
        de, df = blanks[2 * k] - pe, blanks[2 * k + 1] - pf
        along, across = de * a + df * b, de * b - df * a
        if along > 0 and along < reach and across * across <= tol * tol * (a * a + b * b):
            return k
    return -1


def _chars_py(tp: int, ctm: tuple[float, ...], height: float, fonts: _Fonts, out: RawPage, blanks: array) -> None:
    """The reference of pipeline/native/pdfium_chars.c, used without it. Per character: 4 PDFium calls (unicode,
    map error, text object, origin); what a text object shares (font, size, matrix) and glyph widths are read
    once and cached.

    A text object that draws only blank glyphs (a space on its own, as Chromium and LibreOffice write them) has an
    empty box, and PDFium's text page leaves such objects out (CPDF_TextPage::ProcessTextObject); pdfminer keeps
    their spaces, which split words. Where PDFium put a space of its own between two glyphs and one of those
    objects (`blanks`, found by `_objects`) stands between them on their baseline, the space is that object's."""
    api = _api()
    n = api.count(tp)
    ox, oy = ctypes.c_double(), ctypes.c_double()
    p_ox, p_oy = ctypes.addressof(ox), ctypes.addressof(oy)
    loose = raw.FS_RECTF()
    unicode, map_error, text_object, origin = api.unicode, api.map_error, api.text_object, api.origin
    A, B, C, D, E, F = ctm
    chars = out.chars
    append = chars.append
    runs: dict[int, _Run | None] = {}
    shared: dict[tuple[float, ...], _Run] = {}
    last: tuple[int | None, float, float] | None = None  # (text object, origin) of the previous glyph
    placed: tuple[_Run, float, float] | None = None  # the run and origin of chars[-1] when it is that glyph
    # An unmapped glyph, to be re-sized by where the next glyph of its text object starts (`_settle`):
    # (index in chars, run, e, f, text object, x, y).
    pending: tuple[int, _Run, float, float, int, float, float] | None = None
    for i in range(max(n, 0)):
        code = unicode(tp, i)
        if code in (10, 13) and api.generated(tp, i) == 1:
            continue  # PDFium's line breaks (a glyph whose code is 10 or 13 in an unmapped font stays)
        if code != 2 and 0 < code < 0x110000 and chr(code).isspace() and map_error(tp, i) != 1:
            # A typed space: a word break where it stands, as in pdfplumber (PDFium's generated spaces are not
            # in the content stream and are left out).
            generated = api.generated(tp, i) == 1
            if chars and not generated:
                if pending is not None:
                    origin(tp, i, p_ox, p_oy)
                    _settle(pending, text_object(tp, i), ox.value, oy.value, chars, height)
                _loose_box(api, tp, i, loose)
                prev = chars[-1]
                (x0, top), (x1, bottom) = (_apply(ctm, loose.left, loose.top, height),
                                           _apply(ctm, loose.right, loose.bottom, height))
                append({**prev, "text": " ", "x0": min(x0, x1), "x1": max(x0, x1),
                        "top": min(top, bottom), "bottom": max(top, bottom), "doctop": min(top, bottom)})
            elif generated and blanks and placed is not None and i + 1 < n and api.generated(tp, i + 1) != 1:
                # PDFium's own space where a blank text object it left out stands: that object's typed space
                origin(tp, i + 1, p_ox, p_oy)
                prun, pe, pf = placed
                qe, qf = ox.value * A + oy.value * C + E, ox.value * B + oy.value * D + F
                k = _blank_between(blanks, prun, pe, pf, qe, qf)
                if k >= 0:  # it spans from its origin to the next glyph's: pdfminer's space and the gap after it
                    prev = chars[-1]
                    be, bf = blanks[2 * k], blanks[2 * k + 1]
                    span = ((qe - be) * prun.a + (qf - bf) * prun.b) / (prun.a * prun.a + prun.b * prun.b)
                    append({**prev, "text": " ", **_glyph_box(prun, be, bf, span, height), "size": prev["size"],
                            "baseline": height - bf})
            last = placed = pending = None
            continue
        if code == 2 or (code in (0x2D, 0xAD) and api.hyphen(tp, i) == 1):
            text = "-"  # PDFium reports a line-end hyphen as U+0002
        elif 0 < code < 0x110000 and not 0xD800 <= code < 0xE000:
            text = chr(code)
        else:
            text = "\ufffd"
        unmapped = code == 0 or map_error(tp, i) == 1  # code 0 without Unicode: PDFium reports no map error
        key = text_object(tp, i)
        origin(tp, i, p_ox, p_oy)
        x, y = ox.value, oy.value
        here = (key, x, y)
        if last is not None and key is not None and here == last and chars:
            # A ligature glyph (ﬁ, ﬀ…) that PDFium expands into several characters at one origin: pdfminer keeps
            # one character, as wide as the ligature glyph: the font's width for the ligature's code point, else
            # the loose box they share (a font program's width, not always the PDF's /Widths).
            chars[-1]["text"] += text
            if placed is not None:
                ligature_run = placed[0]
                point = _LIGATURES.get(chars[-1]["text"], 0)
                wide = (_unit_width(api, ligature_run, point) or 0.0) * ligature_run.size if point else 0.0
                if not wide:
                    _loose_box(api, tp, i, loose)
                    wide = _loose_advance(ligature_run, loose)
                chars[-1].update(_glyph_box(ligature_run, placed[1], placed[2], wide, height))
            continue
        last = here
        placed = None
        if pending is not None:
            _settle(pending, key, x, y, chars, height)
            pending = None
        out.glyphs += 1
        if unmapped:
            out.unmapped += 1
            text = "\ufffd"
        if key is None:
            continue
        if key in runs:
            run = runs[key]
        else:
            run = runs[key] = _run(api, tp, i, key, ctm, fonts, shared)
        if run is None:
            continue
        # Advance along the baseline in text space: the font's width for the character (pdfminer reads the
        # same /Widths); else the loose box's extent along the baseline direction.
        adv: float | None = None
        if len(text) == 1:
            point = code if unmapped else ord(text)  # an unmapped glyph: its code, as PDFium reported it
            unit = _unit_width(api, run, point)
            adv = None if unit is None else unit * run.size
            if adv and run.tb == 0 and run.ta > 0 and point != _NO_CODE and unit == _no_code_width(api, run):
                # the width of a failed lookup: the loose box's end, past the ink, is the glyph's own
                past = _past_ink(api, tp, i, run, x, loose)
                adv = adv if past is None else past
        if not adv:
            # No width for the code, or 0: FPDFFont_GetGlyphWidth goes through the font's Unicode map back to a
            # code, which fails for unmapped glyphs and for fonts with their own encoding (TeX's CMSY10 "−").
            # The loose box has the width of the glyph's real code.
            adv = None
        if adv is None:
            _loose_box(api, tp, i, loose)
            adv = _loose_advance(run, loose)
        e, f = x * A + y * C + E, x * B + y * D + F
        append({"text": text, "fontname": run.name, **_glyph_box(run, e, f, adv, height), "upright": run.upright,
                "baseline": height - f})
        placed = (run, e, f)
        if unmapped:  # its width came through a Unicode lookup that has no meaning for it
            pending = (len(chars) - 1, run, e, f, key, x, y)


_WIDTH = ctypes.c_float()
# A code point no font maps (a noncharacter): PDFium's width for it is that of a failed Unicode lookup.
_NO_CODE = 0xFFFF


def _unit_width(api: _Api, run: _Run, point: int) -> float | None:
    """The font's width of code point `point` per unit of font size (FPDFFont_GetGlyphWidth), cached per font;
    None when PDFium has none."""
    widths = run.widths
    if point not in widths:
        ok = api.glyph_width(run.font, point, 1000.0, ctypes.addressof(_WIDTH))
        widths[point] = _WIDTH.value / 1000.0 if ok else None
    return widths[point]


def _no_code_width(api: _Api, run: _Run) -> float | None:
    """The font's width for a code point it maps to no code (`_unit_width` of U+FFFF), cached under key -1.
    FPDFFont_GetGlyphWidth maps a code point back to a code through the font's Unicode map; finding none, it answers
    code 0's width: a symbolic font's /MissingWidth (Symbol's bullet, code 183, gets 250 instead of its 460)."""
    widths = run.widths
    if -1 not in widths:
        widths[-1] = _unit_width(api, run, _NO_CODE)
    return widths[-1]


_INK = [ctypes.c_double() for _ in range(4)]  # left, right, bottom, top
_P_INK = [ctypes.addressof(v) for v in _INK]


def _past_ink(api: _Api, tp: int, index: int, run: _Run, x: float, loose: Any) -> float | None:
    """The advance of a glyph on a horizontal run from its loose box (the box of its code's own width joined with its
    ink, PDFium's GetLooseBounds) when the box ends past the ink: that end is the advance's; else None."""
    _loose_box(api, tp, index, loose)
    api.char_box(tp, index, *_P_INK)
    return (loose.right - x) / run.ta if loose.right > _INK[1].value else None


def _settle(pending: tuple[int, _Run, float, float, int, float, float], key: int | None, x: float, y: float,
            chars: list[Obj], height: float) -> None:
    """Re-size an unmapped glyph by the next glyph's origin in the same text object on the same baseline. Its
    width came from FPDFFont_GetGlyphWidth or the loose box, both through a Unicode lookup that means nothing for
    a glyph without Unicode (one width for every code: issue6127 gives 778 for all); PDFium placed the next glyph
    with the code's own /Widths entry, which is what pdfminer's box has."""
    index, run, e, f, obj, px, py = pending
    if key != obj:
        return
    if abs(run.ta) >= abs(run.tb):
        adv = (x - px) / run.ta if run.ta and abs(y - py) < 0.01 else 0.0
    else:
        adv = (y - py) / run.tb if run.tb and abs(x - px) < 0.01 else 0.0
    if adv > 0:
        chars[index].update(_glyph_box(run, e, f, adv, height))


# The letters PDFium expands a ligature glyph into -> the ligature's code point (whose width the font has).
_LIGATURES = {"ff": 0xFB00, "fi": 0xFB01, "fl": 0xFB02, "ffi": 0xFB03, "ffl": 0xFB04, "st": 0xFB06}


def _loose_advance(run: _Run, loose: Any) -> float:
    """The advance in text space from a loose box (page space): its extent along the baseline direction."""
    if abs(run.ta) >= abs(run.tb):
        return (loose.right - loose.left) / abs(run.ta) if run.ta else 0.0
    return (loose.top - loose.bottom) / abs(run.tb) if run.tb else 0.0


def _glyph_box(run: _Run, e: float, f: float, adv: float, height: float) -> dict[str, float]:
    """pdfminer's bbox of a glyph at (e, f) (page space): the text-space box from (0, descent) to (adv,
    descent + size) through the matrix, its four corners' bounds (text at any angle); its size is the box's
    height, rotated or not."""
    xs = (run.low[0] + e, run.a * adv + run.low[0] + e, run.a * adv + run.high[0] + e, run.high[0] + e)
    ys = (run.low[1] + f, run.b * adv + run.low[1] + f, run.b * adv + run.high[1] + f, run.high[1] + f)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    return {"x0": x0, "x1": x1, "top": height - y1, "bottom": height - y0, "doctop": height - y1, "size": y1 - y0}


def _loose_box(api: _Api, tp: int, index: int, box: Any) -> None:
    """PDFium's loose box of a character into `box` (zeros when PDFium has none, as in the C helper)."""
    box.left = box.top = box.right = box.bottom = 0.0
    api.loose_box(tp, index, ctypes.addressof(box))


def _apply(ctm: tuple[float, ...], x: float, y: float, height: float) -> tuple[float, float]:
    a, b, c, d, e, f = ctm
    return a * x + c * y + e, height - (b * x + d * y + f)


def _compose(inner: tuple[float, ...], outer: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _edge(p0: tuple[float, float], p1: tuple[float, float]) -> Obj:
    x0, x1 = sorted((p0[0], p1[0]))
    top, bottom = sorted((p0[1], p1[1]))
    return _edge_dict(x0, x1, top, bottom, "v" if p0[0] == p1[0] else ("h" if p0[1] == p1[1] else None))


def _edge_dict(x0: float, x1: float, top: float, bottom: float, orientation: str | None) -> Obj:
    """An edge in pdfplumber's shape (its `curve_to_edges`), for its table finder."""
    return {"object_type": "curve_edge", "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "width": x1 - x0, "height": bottom - top, "orientation": orientation}


def _path(api: _Api, obj: int, matrix: tuple[float, ...], height: float, out: RawPage) -> None:
    fillmode, stroke = ctypes.c_int(), ctypes.c_int()
    if not api.draw_mode(obj, ctypes.addressof(fillmode), ctypes.addressof(stroke)):
        return
    filled = fillmode.value != raw.FPDF_FILLMODE_NONE
    if not filled and not stroke.value:
        return
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    p_x, p_y = ctypes.addressof(x), ctypes.addressof(y)
    subpaths: list[list[tuple[float, float]]] = []
    bezier = 0  # BEZIERTO segments in a row: PDFium gives a curve as 2 control points and its end point
    for k in range(max(api.count_segments(obj), 0)):
        seg = api.segment(obj, k)
        kind = api.segment_type(seg)
        if kind == raw.FPDF_SEGMENT_BEZIERTO:
            bezier += 1
            if bezier % 3:
                continue  # a control point: pdfminer keeps a curve's end points only (its `paint_path`)
        else:
            bezier = 0
        api.point(seg, p_x, p_y)
        point = (a * x.value + c * y.value + e, height - (b * x.value + d * y.value + f))
        if kind == raw.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([point])
        else:
            subpaths[-1].append(point)
        if api.segment_close(seg) and subpaths[-1][0] != point:
            subpaths[-1].append(subpaths[-1][0])
    for pts in subpaths:
        if len(pts) < 2:
            continue
        out.edges.extend(_edge(p, q) for p, q in zip(pts, pts[1:], strict=False))
        if filled and len(pts) > 2:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            out.fills.append((min(xs), min(ys), max(xs), max(ys)))


def _area(api: _Api, obj: int) -> float:
    """The area of an object's bounds (points squared), 0 when PDFium has none."""
    box = [ctypes.c_float() for _ in range(4)]
    if not api.bounds(obj, *(ctypes.addressof(v) for v in box)):
        return 0.0
    left, bottom, right, top = (v.value for v in box)
    return max(right - left, 0.0) * max(top - bottom, 0.0)


def _blank(api: _Api, obj: int, matrix: tuple[float, ...], blanks: array) -> None:
    """A text object whose box is a point (it draws only blank glyphs, PDFium's text page leaves it out): its
    origin in pdfminer's page space, appended to `blanks` (e, f)."""
    box = [ctypes.c_float() for _ in range(4)]
    if not api.bounds(obj, *(ctypes.addressof(v) for v in box)):
        return
    left, bottom, right, top = (v.value for v in box)
    if right - left < 0.01 and top - bottom < 0.01:
        a, b, c, d, e, f = matrix
        blanks.append(a * left + c * bottom + e)
        blanks.append(b * left + d * bottom + f)


def _objects(api: _Api, container: int, form: bool, matrix: tuple[float, ...], height: float, out: RawPage,
             blanks: array, depth: int = 0) -> None:
    """The paths of a page or of a form object (forms recursed, matrices composed), and the origins of its blank
    text objects (`_blank`). The other text objects are skipped: the text page has their characters."""
    count, get = (api.form_count, api.form_object) if form else (api.page_count, api.page_object)
    m = raw.FS_MATRIX()
    p_m = ctypes.addressof(m)
    for k in range(max(count(container), 0)):
        obj = get(container, k)
        if not obj:
            continue
        kind = api.object_type(obj)
        if kind == raw.FPDF_PAGEOBJ_IMAGE:
            out.image_share = min(1.0, out.image_share + _area(api, obj) / max(out.width * out.height, 1.0))
            continue
        if kind == raw.FPDF_PAGEOBJ_TEXT:
            _blank(api, obj, matrix, blanks)
            continue
        if kind != raw.FPDF_PAGEOBJ_PATH and (kind != raw.FPDF_PAGEOBJ_FORM or depth >= 15):
            continue
        own = (m.a, m.b, m.c, m.d, m.e, m.f) if api.object_matrix(obj, p_m) else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            _path(api, obj, _compose(own, matrix), height, out)
        else:
            _objects(api, obj, True, _compose(own, matrix), height, out, blanks, depth + 1)


def _native_paths() -> Any:
    return _native("clsdata_page_paths", _VP, _VP, _VP, _DOUBLE, _DOUBLE, _VP, _INT, _VP, _INT, _VP, _INT, _VP, _VP)


_ORIENTATION = (None, "v", "h")


def _paths_native(fn: Any, page: int, ctm: tuple[float, ...], height: float, out: RawPage) -> array:
    """`_objects` in one C call: the same edges, fills, image share and blank text objects (returned)."""
    matrix, counts, share = array("d", ctm), array("i", [0, 0, 0]), array("d", [0.0])
    edge_cap, fill_cap, blank_cap = 1024, 256, 256
    while True:
        edges, fills = array("d", bytes(40 * edge_cap)), array("d", bytes(32 * fill_cap))
        blanks = array("d", bytes(16 * blank_cap))
        done = fn(page, ctypes.addressof(_api().native_path_functions), matrix.buffer_info()[0], height,
                  out.width * out.height, edges.buffer_info()[0], edge_cap, fills.buffer_info()[0], fill_cap,
                  blanks.buffer_info()[0], blank_cap, counts.buffer_info()[0], share.buffer_info()[0])
        if done:
            break
        edge_cap, fill_cap, blank_cap = max(edge_cap, counts[0]), max(fill_cap, counts[1]), max(blank_cap, counts[2])
    n, k, b = counts
    out.image_share = share[0]
    out.edges.extend(
        _edge_dict(x0, x1, top, bottom, _ORIENTATION[int(o)])
        for x0, x1, top, bottom, o in zip(edges[0 : 5 * n : 5], edges[1 : 5 * n : 5], edges[2 : 5 * n : 5],
                                          edges[3 : 5 * n : 5], edges[4 : 5 * n : 5], strict=True))
    out.fills.extend(zip(fills[0 : 4 * k : 4], fills[1 : 4 * k : 4], fills[2 : 4 * k : 4], fills[3 : 4 * k : 4],
                         strict=True))
    return blanks[: 2 * b]


def _paths(page: int, ctm: tuple[float, ...], height: float, out: RawPage, use_native: bool = True) -> array:
    """The page's painted paths and image share, by the compiled helper when there is one, else `_objects`; returns
    the origins of its blank text objects (pairs e, f) for `_chars`."""
    fn = _native_paths() if use_native else None
    if fn is None:
        blanks = array("d")
        _objects(_api(), page, False, ctm, height, out, blanks)
        return blanks
    return _paths_native(fn, page, ctm, height, out)


# PDFium keeps what it parsed (fonts, images, colour spaces) in the document until it is closed: on a long
# document whose pages each carry their own resources, that grew by ~0.3 MB a page (151 MB for 400 pages). The
# document is closed and opened again every REOPEN_EVERY pages, which bounds it (opening costs ~1 ms).
REOPEN_EVERY = 50


def _open(name: str) -> Any:
    try:
        return pdfium.PdfDocument(name)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        reason = errors.ENCRYPTED if "password" in text or "security" in text else errors.CORRUPT
        raise errors.DocumentError(name, reason, f"PDFium: {exc}") from exc


def iter_raw_pages(path: Path, native: bool = True) -> Iterator[RawPage]:
    """Yield the pages of a PDF one at a time, each page's PDFium handles closed before the next. With
    `native=False`, the Python reference of the compiled helper reads them (for the tests)."""
    name = str(path)
    pdf = _open(name)
    fonts = _Fonts()  # font handles are the document's: a new cache with each opening
    try:
        for index in range(len(pdf)):
            if index and index % REOPEN_EVERY == 0:
                pdf.close()
                pdf, fonts = _open(name), _Fonts()
            try:
                page = pdf[index]
            except pdfium.PdfiumError as exc:
                raise errors.DocumentError(name, errors.CORRUPT, f"page {index + 1}: PDFium: {exc}") from exc
            try:
                ctm, width, height = _page_ctm(page)
                out = RawPage(index + 1, width, height)
                blanks = _paths(ctypes.cast(page.raw, ctypes.c_void_p).value or 0, ctm, height, out, native)
                textpage = page.get_textpage()
                try:
                    _chars(textpage, ctm, height, fonts, out, blanks, native)
                finally:
                    textpage.close()
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


def render_page_gray_png(path: Path, number: int, dpi: float, max_pixels: int | None = None) -> bytes:
    """Page `number` (1-based) as a grayscale PNG at `dpi` (for OCR; pixel = point x dpi / 72). A page whose image
    would exceed `max_pixels` is refused (DocumentError PAGE_TOO_LARGE) before anything is drawn."""
    import io

    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= number <= len(pdf):
            raise errors.DocumentError(str(path), errors.CORRUPT, f"no page {number} (the file has {len(pdf)})")
        page = pdf[number - 1]
        try:
            width, height = page.get_size()
            pixels = (width * dpi / 72.0) * (height * dpi / 72.0)
            if max_pixels is not None and pixels > max_pixels:
                raise errors.DocumentError(str(path), errors.PAGE_TOO_LARGE,
                                           f"page {number} is {width:.0f} x {height:.0f} pt: {pixels / 1e6:.0f} Mpx at "
                                           f"{dpi:g} dpi, more than the {max_pixels / 1e6:.0f} Mpx limit "
                                           f"(CLSDATA_OCR_MAX_PIXELS)")
            image = page.render(scale=dpi / 72.0, grayscale=True).to_pil()
        finally:
            page.close()
    finally:
        pdf.close()
    buf = io.BytesIO()
    image.convert("L").save(buf, format="PNG", compress_level=0)  # speed over size: it only crosses a pipe
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


def render_gray_pages(data: bytes, dpi: float, first: int = 0) -> Iterator[tuple[Any, tuple[float, float]]]:
    """Pages `first`.. of a PDF (bytes) as grayscale PIL images at `dpi`, with each page's size in points
    (`pipeline/scanner.py`: scanned twins)."""
    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(first, len(pdf)):
            page = pdf[index]
            try:
                yield page.render(scale=dpi / 72.0, grayscale=True).to_pil().convert("L"), page.get_size()
            finally:
                page.close()
    finally:
        pdf.close()


_PDFIUM_INFO = re.compile(rb"<</CreationDate\(D:[^)]*\)(?:/Creator\(PDFium\)|/Producer\(PDFium\))*>>")
_PDFIUM_ID = re.compile(rb"/ID\[<[0-9A-F]{32}><[0-9A-F]{32}>\]")


def images_to_pdf(source: bytes, typed_pages: int, jpegs: list[bytes], creator: bytes) -> bytes:
    """A PDF of the first `typed_pages` pages of `source` imported unchanged, then one page per JPEG filling the
    size of the source's page at the same index, and no text layer. Deterministic: PDFium's creation date and
    random /ID are replaced in place (same byte length, so the cross-reference offsets stay valid) by `creator`
    and an ID hashed from the content."""
    import hashlib
    import io

    src = pdfium.PdfDocument(source)
    pdf = pdfium.PdfDocument.new()
    try:
        if typed_pages:
            pdf.import_pages(src, list(range(typed_pages)))
        for index, jpeg in enumerate(jpegs, start=typed_pages):
            width, height = src[index].get_size()
            page = pdf.new_page(width, height)
            image = pdfium.PdfImage.new(pdf)
            image.load_jpeg(io.BytesIO(jpeg), inline=False)
            image.set_matrix(pdfium.PdfMatrix().scale(width, height))
            page.insert_obj(image)
            page.gen_content()
        buffer = io.BytesIO()
        pdf.save(buffer)
    finally:
        pdf.close()
        src.close()
    data = buffer.getvalue()
    fixed = b"<</Creator(" + creator + b")/Producer(PDFium)"
    info, ids = _PDFIUM_INFO.findall(data), _PDFIUM_ID.findall(data)
    if len(info) != 1 or len(ids) != 1 or len(fixed) + 2 > len(info[0]):
        raise RuntimeError("images_to_pdf: unexpected PDFium trailer/info layout; update _PDFIUM_INFO/_PDFIUM_ID")
    data = data.replace(info[0], fixed + b" " * (len(info[0]) - len(fixed) - 2) + b">>")
    blank = b"/ID[<" + b"0" * 32 + b"><" + b"0" * 32 + b">]"
    digest = hashlib.md5(data.replace(ids[0], blank), usedforsecurity=False).hexdigest().upper().encode()
    return data.replace(ids[0], b"/ID[<" + digest + b"><" + digest + b">]")
