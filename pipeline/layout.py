"""PDF file -> pages of positioned words and marks. The only module that imports pdfplumber."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from pipeline import errors
from pipeline.model import Box, Grid, Mark, Page, Word

_BOLD = re.compile(r"bold|black|heavy|semibold|demi|,b\b|-b\b", re.I)
_ITALIC = re.compile(r"italic|oblique", re.I)
_SUBSET = re.compile(r"^[A-Z]{6}\+")
# A filled shape this small (points) beside text is a drawn bullet.
DOT_MAX = 9.0


def _font(name: str) -> str:
    return _SUBSET.sub("", name or "")


def _words(page: pdfplumber.page.Page) -> list[Word]:
    raw = page.extract_words(
        x_tolerance=1.5, y_tolerance=2.5, keep_blank_chars=False, use_text_flow=False,
        extra_attrs=["fontname", "size", "upright"],
    )
    out = []
    for w in raw:
        font = _font(w["fontname"])
        out.append(Word(
            text=w["text"],
            box=Box(float(w["x0"]), float(w["top"]), float(w["x1"]), float(w["bottom"])),
            font=font, size=round(float(w["size"]), 2),
            bold=bool(_BOLD.search(font)), italic=bool(_ITALIC.search(font)), upright=bool(w["upright"]),
        ))
    return out


def _marks(page: pdfplumber.page.Page) -> list[Mark]:
    out = []
    for obj in [*page.rects, *page.curves]:
        if not obj.get("fill"):
            continue
        box = Box(float(obj["x0"]), float(obj["top"]), float(obj["x1"]), float(obj["bottom"]))
        if box.width <= DOT_MAX and box.height <= DOT_MAX and box.width > 1 and box.height > 1:
            out.append(Mark(box, "dot"))
        elif box.width > 20 and box.height > 8:
            out.append(Mark(box, "fill"))
    return out


TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 3,
                  "join_tolerance": 3, "intersection_tolerance": 3}


def _grids(page: pdfplumber.page.Page) -> list[Grid]:
    """Ruled tables (pdfplumber's table finder on drawn lines and rectangle edges) with at least 2x2 slots."""
    if not (page.lines or page.rects):
        return []
    out = []
    for table in page.find_tables(TABLE_SETTINGS):
        cells = tuple(Box(*(float(v) for v in c)) for c in table.cells)
        xs = {round(c.x0) for c in cells} | {round(c.x1) for c in cells}
        ys = {round(c.top) for c in cells} | {round(c.bottom) for c in cells}
        if len(xs) >= 3 and len(ys) >= 3:
            out.append(Grid(Box(*(float(v) for v in table.bbox)), cells))
    return out


def _page(page: pdfplumber.page.Page) -> Page:
    chars = page.chars
    unmapped = sum(1 for c in chars if "(cid:" in c["text"] or "\ufffd" in c["text"])
    return Page(
        number=page.page_number, width=float(page.width), height=float(page.height),
        words=tuple(_words(page)), marks=tuple(_marks(page)), grids=tuple(_grids(page)), chars=len(chars),
        unmapped_chars=unmapped,
    )


def iter_pages(path: Path) -> Iterator[Page]:
    """Yield the pages of a PDF one at a time (pdfplumber caches are flushed page by page)."""
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
                yield _page(page)
            except Exception as exc:
                err = _classify(name, exc)
                raise errors.DocumentError(name, err.reason, f"page {page.page_number}: {err.detail}") from exc
            finally:
                page.flush_cache()


def _classify(name: str, exc: Exception) -> errors.DocumentError:
    """pdfminer/pdfplumber exception -> DocumentError with a reason (pdfplumber wraps pdfminer's errors)."""
    inner: BaseException = exc
    while inner.args and isinstance(inner.args[0], BaseException):
        inner = inner.args[0]
    if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)) or "password" in str(inner).lower():
        return errors.DocumentError(name, errors.ENCRYPTED, type(inner).__name__)
    return errors.DocumentError(name, errors.CORRUPT, f"{type(inner).__name__}: {str(inner)[:200]}")


def pdf_to_pages(path: Path) -> list[Page]:
    return list(iter_pages(path))
