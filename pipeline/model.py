"""Typed objects passed between stages (internal; the public contract is in schemas/)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Literal, TypeVar

T = TypeVar("T")


def _pickled_by_fields(cls: type[T]) -> type[T]:
    """Pickle as (class, field values): the parser process sends ~600 of these a page, and the default for a
    slotted frozen dataclass calls `dataclasses.fields()` per object when unpickling (half the cost of the
    parser's answer; ADR 0010)."""
    get = attrgetter(*(f.name for f in fields(cls) if f.init))  # type: ignore[arg-type]

    def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, get(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Box:
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.top, other.top), max(self.x1, other.x1),
                   max(self.bottom, other.bottom))

    @staticmethod
    def union_of(boxes: Iterable[Box | None]) -> Box | None:
        """The box around all given boxes (None entries skipped); None when there is none."""
        out: Box | None = None
        for b in boxes:
            if b is not None:
                out = b if out is None else out.union(b)
        return out

    def x_overlap(self, other: Box) -> float:
        return min(self.x1, other.x1) - max(self.x0, other.x0)

    def y_overlap(self, other: Box) -> float:
        return min(self.bottom, other.bottom) - max(self.top, other.top)


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Word:
    """A run of characters with one font, as positioned on the page."""

    text: str
    box: Box
    font: str
    size: float
    bold: bool
    italic: bool = False
    upright: bool = True
    confidence: float | None = None  # OCR word confidence (0-100); None for text-layer words


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Mark:
    """A small filled vector shape (a drawn bullet) or a filled background rectangle."""

    box: Box
    kind: Literal["dot", "fill"]


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Grid:
    """A ruled table as found from its drawn lines: the outer box and the box of every (merged) cell."""

    box: Box
    cells: tuple[Box, ...]


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based
    width: float
    height: float
    words: tuple[Word, ...]
    marks: tuple[Mark, ...] = ()
    grids: tuple[Grid, ...] = ()
    chars: int = 0
    unmapped_chars: int = 0  # glyphs without a Unicode mapping (cid:, U+FFFD)
    # How the words were read (issue #8): triage of the text layer (pipeline/triage.py), then the method:
    # "text" (the text layer), "ocr" (Tesseract), or "none" (nothing readable: blank, or OCR unavailable).
    triage: str = "ok"
    triage_reason: str = ""
    method: str = "text"
    confidence: float | None = None  # OCR: mean word confidence, 0-100


@dataclass(frozen=True, slots=True)
class PageReading:
    """How one page's text was obtained, for the extraction output and the warehouse's `pages`."""

    number: int
    triage: str
    reason: str
    method: str
    confidence: float | None = None
    words: int = 0


@dataclass(frozen=True, slots=True)
class Line:
    words: tuple[Word, ...]
    box: Box
    page: int
    # Computed once from the words (read many times by the block rules).
    size: float = field(init=False, compare=False)
    bold: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        sized = [w for w in self.words if any(c.isalnum() for c in w.text)] or list(self.words)
        object.__setattr__(self, "size", max(sized, key=lambda w: len(w.text)).size)
        letters = [w for w in self.words if any(c.isalpha() for c in w.text)]
        if not letters:
            bold = all(w.bold for w in self.words)
        else:
            bold = sum(len(w.text) for w in letters if w.bold) > 0.6 * sum(len(w.text) for w in letters)
        object.__setattr__(self, "bold", bold)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


BlockKind = Literal["text", "bullet", "year", "table"]


@dataclass(frozen=True, slots=True)
class Block:
    """A unit of text in reading order: a paragraph, a heading, a list item, or a year label/tile."""

    text: str
    kind: BlockKind
    page: int
    box: Box | None
    size: float
    bold: bool
    region: int = 0  # index of the leaf region (column/cell) the block came from
    year: int | None = None  # for kind == "year"
    lines: int = 1
    level: int | None = None  # HTML heading level (1-6) when known
    table: Table | None = None  # for kind == "table"
    # The printed lines of a multi-line block and where each ends on the right (a line that stops short of the
    # block's right edge ends an item of a list printed one item per line, pipeline/sheets.cell_items).
    line_texts: tuple[str, ...] = ()
    line_right: tuple[float, ...] = ()
    line_left: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell on the grid (row/col of its top-left slot, spans), with its text as blocks."""

    row: int
    col: int
    rows: int
    cols: int
    box: Box | None
    blocks: tuple[Block, ...]
    filled: bool = False  # a background fill covers the cell (a shaded tick in a year column)

    @property
    def text(self) -> str:
        return " ".join(b.text for b in self.blocks).strip()

    @property
    def bold(self) -> bool:
        return bool(self.blocks) and all(b.bold for b in self.blocks)


@dataclass(frozen=True, slots=True)
class Table:
    """A table in reading order: ruled (drawn lines), aligned (label column found from text alignment) or html."""

    page: int
    box: Box | None
    n_rows: int
    n_cols: int
    cells: tuple[Cell, ...]
    source: Literal["ruled", "aligned", "html"] = "ruled"

    def row(self, r: int) -> list[Cell]:
        """Cells covering row r, left to right (a cell merged over several rows appears in each of them)."""
        return sorted((c for c in self.cells if c.row <= r < c.row + c.rows), key=lambda c: c.col)

    def starting_row(self, r: int) -> list[Cell]:
        return sorted((c for c in self.cells if c.row == r), key=lambda c: c.col)


@dataclass(frozen=True, slots=True)
class Document:
    """Blocks of a whole document plus what was set aside (running headers/footers, page numbers)."""

    blocks: tuple[Block, ...]
    furniture: tuple[str, ...] = ()
    pages: int = 0
    body_size: float = 10.0
    readings: tuple[PageReading, ...] = ()
    # OCR pages: (page, word box, confidence) of every word, for items' mean confidence.
    ocr_words: tuple[tuple[int, Box, float], ...] = ()
