"""Page words -> tables (cells holding their text as blocks), and the words and lines left for the text flow.

Two ways a table is found:
  ruled    pdfplumber's grids from drawn lines (pipeline/layout.py); a word belongs to the cell holding its
           centre; cells merged over rows or columns keep their spans on the grid.
  aligned  a table without ruling lines: a column of field labels ("Pilote", "Partenaires", "Public cible", ...;
           vocabulary in rules/tables.yaml) at one x, each label's value to its right; a row runs from one label
           to the next.
What the table means (a fiche action, an action grid, or layout) is decided later, in pipeline/sheets.py.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import replace
from operator import attrgetter
from typing import TypeVar

from pipeline.blocks import badges_to_items, lines_to_regions, region_to_blocks, words_to_lines
from pipeline.model import Box, Cell, Grid, Line, Mark, Page, Table, Word
from pipeline.rules import table_rules

SNAP = 2.5  # points: cell edges closer than this are the same grid line
T = TypeVar("T")
_box = attrgetter("box")


def _positions(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > SNAP:
            out.append(v)
    return out


def _index(positions: list[float], v: float) -> int:
    return min(range(len(positions)), key=lambda i: abs(positions[i] - v))


def _inside(box: Box, cell: Box) -> bool:
    cx, cy = (box.x0 + box.x1) / 2, (box.top + box.bottom) / 2
    return cell.x0 - 1 <= cx <= cell.x1 + 1 and cell.top - 1 <= cy <= cell.bottom + 1


def _centred_in(items: list[tuple[float, float, T]], cell: Box) -> list[tuple[float, float, T]]:
    """`_inside` for many (centre x, centre y, item), centres computed once: those centred in `cell`, in order."""
    x0, x1, top, bottom = cell.x0 - 1, cell.x1 + 1, cell.top - 1, cell.bottom + 1
    return [t for t in items if x0 <= t[0] <= x1 and top <= t[1] <= bottom]


def _centres(items: Iterable[T], box: Callable[[T], Box]) -> list[tuple[float, float, T]]:
    return [((b.x0 + b.x1) / 2, (b.top + b.bottom) / 2, item) for item in items for b in (box(item),)]


def _filled(cell: Box, marks: tuple[Mark, ...]) -> bool:
    area = max(cell.width * cell.height, 1.0)
    for m in marks:
        if m.kind != "fill":
            continue
        w, h = cell.x_overlap(m.box), cell.y_overlap(m.box)
        if w > 0 and h > 0 and w * h >= 0.6 * area and m.box.width * m.box.height <= 1.5 * area:
            return True
    return False


def grid_to_table(grid: Grid, page: Page, words: list[Word], region: int) -> Table | None:
    """The words inside a ruled grid -> a Table; None when the grid holds no text."""
    xs = _positions([c.x0 for c in grid.cells] + [c.x1 for c in grid.cells])
    ys = _positions([c.top for c in grid.cells] + [c.bottom for c in grid.cells])
    cells: list[Cell] = []
    any_text = False
    centred = _centred_in(_centres(words, _box), grid.box)
    dots = _centres((m for m in page.marks if m.kind == "dot"), _box)
    for box in sorted(grid.cells, key=lambda b: (b.top, b.x0)):
        mine = [w for _, _, w in _centred_in(centred, box)]
        marks = tuple(m for _, _, m in _centred_in(dots, box))
        lines = words_to_lines(replace(page, words=tuple(mine), marks=marks)) if mine else []
        regions = lines_to_regions(lines) if lines else []
        blocks = tuple(badges_to_items([b for leaf in regions for b in region_to_blocks(leaf, region)]))
        any_text = any_text or bool(blocks)
        r0, r1 = _index(ys, box.top), _index(ys, box.bottom)
        c0, c1 = _index(xs, box.x0), _index(xs, box.x1)
        cells.append(Cell(r0, c0, max(r1 - r0, 1), max(c1 - c0, 1), box, blocks, _filled(box, page.marks)))
    if not any_text:
        return None
    return Table(page.number, grid.box, len(ys) - 1, len(xs) - 1, tuple(cells), "ruled")


def page_to_ruled_tables(page: Page, first_region: int) -> tuple[list[Table], list[Word]]:
    """Tables of a page's grids, and the words outside every grid."""
    words = list(page.words)
    tables: list[Table] = []
    for grid in page.grids:
        inside = [w for w in words if _inside(w.box, grid.box)]
        table = grid_to_table(grid, page, inside, first_region + len(tables))
        if table is not None:
            tables.append(table)
            taken = {id(w) for w in inside}
            words = [w for w in words if id(w) not in taken]
    return tables, words


# ---------------------------------------------------------------- aligned (borderless) tables
def lines_to_aligned_tables(lines: list[Line], page: int, first_region: int) -> tuple[list[Table], list[Line]]:
    """Borderless label/value tables: >= 3 label lines at one x, values starting right of the label column."""
    ordered = sorted(lines, key=lambda ln: (ln.box.top, ln.box.x0))
    labels = [ln for ln in ordered if table_rules().field_of(ln.text) is not None]
    tables: list[Table] = []
    used: set[int] = set()
    for anchor in labels:
        if id(anchor) in used:
            continue
        column = [ln for ln in labels if abs(ln.box.x0 - anchor.box.x0) <= 3 and id(ln) not in used
                  and ln.box.top >= anchor.box.top]
        if len(column) < 3:
            continue
        table, taken = _aligned_table(ordered, column, page, first_region + len(tables))
        if table is not None:
            tables.append(table)
            used |= taken
    return tables, [ln for ln in lines if id(ln) not in used]


def _aligned_table(ordered: list[Line], column: list[Line], page: int,
                   region: int) -> tuple[Table | None, set[int]]:
    lx = column[0].box.x0
    label_right = max(ln.box.x1 for ln in column)
    size = statistics.median(ln.size for ln in column)
    right = [ln for ln in ordered if ln.box.x0 > label_right + 2 and ln.box.top >= column[0].box.top - size]
    if not right:
        return None, set()
    beside = [ln.box.x0 for ln in right if ln.box.top <= column[-1].box.bottom + size]
    if not beside:  # print on the right only below the label column: not a label/value table
        return None, set()
    vx = min(beside)
    label_ids = {id(ln) for ln in column}
    rows: list[tuple[list[Line], list[Line]]] = []
    last_bottom = column[0].box.top
    for ln in (ln for ln in ordered if ln.box.top >= column[0].box.top - 0.3 * size):
        gap = ln.box.top - last_bottom
        if id(ln) in label_ids:
            rows.append(([ln], []))
        elif not rows:
            continue
        elif ln.box.x0 >= vx - 3:
            if gap > 2.5 * size:
                break
            rows[-1][1].append(ln)
        elif abs(ln.box.x0 - lx) <= 3 and ln.box.x1 <= vx and gap < 0.8 * size and ln.bold == rows[-1][0][0].bold \
                and not rows[-1][1][1:]:
            rows[-1][0].append(ln)  # a label wrapped on two lines ("Indicateurs / d'évaluation")
        else:
            break
        last_bottom = max(last_bottom, ln.box.bottom)
    if len(rows) < 3:
        return None, set()
    cells: list[Cell] = []
    taken: set[int] = set()
    for r, (label, value) in enumerate(rows):
        for c, part in enumerate((label, value)):
            taken |= {id(ln) for ln in part}
            blocks = tuple(region_to_blocks(part, region)) if part else ()
            cells.append(Cell(r, c, 1, 1, Box.union_of(ln.box for ln in part), blocks))
    return Table(page, Box.union_of(c.box for c in cells), len(rows), 2, tuple(cells), "aligned"), taken
