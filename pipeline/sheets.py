"""Table blocks -> what they mean: a fiche action, the rows of an action table, or neither (layout).

  fiche   a label column ("Axe", "Objectif", "Intitulé", "Pilote", "Partenaires", "Public cible", "Calendrier",
          "Indicateurs", ...; rules/tables.yaml) beside values: one action with its sheet of fields;
  grid    a header row naming columns (an action/intitulé column, or year columns "2025 | 2026 | ...") over data
          rows: one action per row; axis and objective cells may be merged over several rows, or come as band
          rows across the whole table ("Axe 2 – Prévention"); a table continued on the next page without its
          header reuses the previous header when the columns line up.
Anything else returns None and is read as text, cell by cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.blocks import TRAILING
from pipeline.model import Block, Cell, Table
from pipeline.rules import StructureRules, table_rules

LIST_FIELDS = ("partners", "publics", "indicators")
TEXT_FIELDS = ("pilot", "schedule")
YEAR = re.compile(r"^(?:19|20)\d\d$")
LEADING_NUMBER = re.compile(
    r"^(?:(?:fiche[\s-]*)?action\s*(?:n°\s*)?)?"
    r"(?P<number>[A-Z]?\d{1,2}(?:\.\d{1,2}){1,2}\.?|[A-Z]?\d{1,2}(?=\s*[.):\-–—]))\s*[.):\-–—]?\s*(?P<title>\S.*)$",
    re.I)
BULLET_PREFIX = re.compile(r"^[•◦▪■□●○►▶▸➢➤➜➔→✓✔❖◆◇\-–—*·]\s*")


@dataclass
class Step:
    """A step of a fiche ("Etape 2 : …", "Opération 1 : …"): part of its action, with its own échéance."""

    title: str
    years: list[int]
    schedule: str | None = None


@dataclass
class Sheet:
    """Fields of a fiche action as printed (lists split into items)."""

    pilot: str | None = None
    partners: list[str] = field(default_factory=list)
    publics: list[str] = field(default_factory=list)
    schedule: str | None = None
    indicators: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    last_field: str | None = None  # the last field filled, which a row broken across pages continues

    def merge(self, other: Sheet, lead: Cell | None = None) -> None:
        """Fields of a continuation (the rest of a fiche broken across pages) added to this one; `lead` is the
        value of a row whose label stayed on the previous page."""
        if lead is not None and self.last_field in LIST_FIELDS:
            items = getattr(self, self.last_field)
            more = cell_items(lead)
            if items and more:
                items[-1] = f"{items[-1]} {more.pop(0)}"
            items.extend(more)
        elif lead is not None and self.last_field in TEXT_FIELDS:
            setattr(self, self.last_field, f"{getattr(self, self.last_field) or ''} {cell_text(lead)}".strip())
        self.pilot = self.pilot or other.pilot
        self.schedule = self.schedule or other.schedule
        for name in LIST_FIELDS:
            getattr(self, name).extend(getattr(other, name))
        self.steps.extend(other.steps)


@dataclass
class Fiche:
    number: str | None
    title: str | None
    title_block: Block | None
    axis: Cell | None  # the "Axe" value cell
    objective: Cell | None
    sheet: Sheet
    labelled: set[str]  # fields the table has rows for
    lead: Cell | None = None  # a value in a first row without label: a row continued from the previous page


@dataclass
class GridRow:
    kind: str  # axis | objective | action
    number: str | None
    title: str
    block: Block
    axis: Cell | None = None  # the axis / objective cells of an action row (merged cells repeat on each row)
    objective: Cell | None = None
    years: list[int] = field(default_factory=list)
    sheet: Sheet | None = None


@dataclass
class Columns:
    fields: dict[int, str]  # column index -> field name or "year:2025"
    n_cols: int
    x: list[float]  # left edge of each mapped column, to recognise a continuation table


# ---------------------------------------------------------------- cell text
CONNECTOR_END = re.compile(r"(?:\b(?:de|du|des|la|le|les|l[’']|d[’']|à|au|aux|en|et|ou|pour|par|sur|avec|dans|"
                           r"un|une|son|sa|ses|leur|leurs)|[,/(\-–:+&])$", re.I)


def block_to_lines(block: Block) -> list[str]:
    """A block printed one item per line: a line starts a new item when it starts like one (a capital, a digit, a
    bullet) and the previous line is complete (it stops short of the right edge, or ends on neither a connecting
    word nor an open parenthesis); otherwise it continues the previous line."""
    if len(block.line_texts) < 2 or block.box is None:
        return [block.text]
    right = max(block.line_right)
    width = max(block.box.width, 1.0)
    items: list[str] = [block.line_texts[0]]
    for prev_right, line in zip(block.line_right, block.line_texts[1:], strict=False):
        starts = line[:1].isupper() or line[:1].isdigit() or bool(BULLET_PREFIX.match(line))
        current = items[-1]
        complete = right - prev_right > SHORT_LINE * width or (
            not CONNECTOR_END.search(current.rstrip()) and current.count("(") <= current.count(")"))
        if starts and complete:
            items.append(line)
        else:
            items[-1] = _join_line(current, line)
    return items


SHORT_LINE = 0.12  # a line ending this share of the width before the right edge was broken on purpose


def _join_line(a: str, b: str) -> str:
    if re.search(r"\w-$", a) and b[:1].islower():
        return a[:-1] + b
    return f"{a} {b}"


def cell_items(cell: Cell | None, by_line: bool = False) -> list[str]:
    """A list cell's items: one per bullet/paragraph block (or, `by_line`, per printed line item); a single run-on
    block split at ';' or ','. Bold sub-headings among plain items ("Aspects quantitatifs et qualitatifs") are not
    items."""
    if cell is None or not cell.blocks:
        return []
    blocks = list(cell.blocks)
    if any(b.bold for b in blocks) and not all(b.bold for b in blocks) and len(blocks) > 1:
        blocks = [b for b in blocks if not b.bold]
    lines = [line for b in blocks for line in (block_to_lines(b) if by_line else [b.text])]
    texts = [BULLET_PREFIX.sub("", t).strip() for t in lines]
    if len(texts) == 1:
        text = texts[0]
        parts = re.split(r"\s*;\s*", text) if ";" in text else re.split(r",\s+(?![^()]*\))", text)
        texts = parts
    out = [TRAILING.sub("", t).strip() for t in texts]
    return [t for t in out if t and t not in {"-", "–", "—", "/", "…", "..."}]


def cell_text(cell: Cell | None) -> str | None:
    """A cell's text without trailing punctuation; None for a missing or empty cell."""
    return (TRAILING.sub("", cell.text) or None) if cell is not None else None


def _sheet(value: Callable[[str], Cell | None], last_field: str | None = None) -> Sheet:
    """The sheet of an action from the cell of each field (a fiche's value cells, a grid row's columns)."""
    return Sheet(pilot=cell_text(value("pilot")), partners=cell_items(value("partners")),
                 publics=cell_items(value("publics"), by_line=True), schedule=cell_text(value("schedule")),
                 indicators=cell_items(value("indicators"), by_line=True), last_field=last_field)


def _covering(row: list[Cell], col: int | None) -> Cell | None:
    """The cell of a row that covers column `col` (a cell merged over several columns covers each of them)."""
    if col is None:
        return None
    return next((c for c in row if c.col <= col < c.col + c.cols), None)


def schedule_to_years(text: str | None, rules: StructureRules) -> list[int]:
    """'2025-2027' -> [2025, 2026, 2027]; '2025 et 2027' -> [2025, 2027]; 'Dès 2025' -> [2025]; 'En continu' -> []."""
    if not text:
        return []
    years: set[int] = set()
    rest = text
    for pattern in rules.patterns("period_range"):
        for m in pattern.finditer(text):
            start, end = int(m["start"]), int(m["end"])
            if 0 < end - start <= 10:
                years.update(range(start, end + 1))
                rest = rest.replace(m.group(0), " ")
    years.update(int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", rest))
    return sorted(years)


# ---------------------------------------------------------------- fiche
def _label_of(cell: Cell) -> str | None:
    if not cell.blocks or len(cell.text) > 60:
        return None
    return table_rules().field_of(cell.text)


def table_to_fiche(table: Table) -> Fiche | None:
    """A label/value table (>= 2 recognised labels in its first column, or it continues a fiche) -> Fiche."""
    if table.n_cols < 2:
        return None
    values: dict[str, Cell] = {}
    labelled: set[str] = set()
    title_row: Cell | None = None
    lead: Cell | None = None
    last_field: str | None = None
    labels = 0
    for r in range(table.n_rows):
        row = table.starting_row(r)
        if not row:
            continue
        first = row[0]
        if len(row) == 1 and first.cols >= table.n_cols and first.text:
            if labels == 0 and title_row is None:
                title_row = first  # a merged title row above the fields ("Action 5 – ...")
            continue
        name = _label_of(first) if first.col == 0 else None
        rest = [c for c in row[1:] if c.text]
        if r == 0 and first.col == 0 and not first.text and len(rest) == 1:
            lead = rest[0]
            continue
        if name is None:
            if labels == 0 and first.text and len(row) > 2:
                return None  # a header row of a grid, not a fiche
            continue
        labels += 1
        labelled.add(name)
        if rest and name != "other":
            last_field = name
        if rest and name not in values:
            values[name] = rest[0] if len(rest) == 1 else Cell(rest[0].row, rest[0].col, 1, 1, rest[0].box,
                                                                 tuple(b for c in rest for b in c.blocks))
    real = labelled - {"other"}
    sheet_fields = real & {"pilot", "partners", "publics", "schedule", "indicators"}
    titled = title_row is not None or "title" in values
    if not ((labels >= 3 and len(real) >= 2 and sheet_fields) or (titled and labels >= 2 and real)
            or (lead is not None and sheet_fields)):
        return None
    sheet = _sheet(values.get, last_field)
    title_cell = values.get("title") or title_row
    number = cell_text(values.get("number"))
    title = cell_text(title_cell)
    if title is not None:
        m = LEADING_NUMBER.match(title)
        if m and (title_cell is title_row or re.match(r"(?i)(?:fiche|action)", title)):
            number = number or m["number"]
            title = m["title"].strip()
    return Fiche(
        number=number, title=title, title_block=title_cell.blocks[0] if title_cell and title_cell.blocks else None,
        axis=values.get("axis"), objective=values.get("objective"), sheet=sheet, labelled=labelled, lead=lead,
    )


# ---------------------------------------------------------------- grid
def _header(table: Table) -> tuple[int, Columns] | None:
    """The header row (one of the first three) and what each column holds."""
    for r in range(min(3, table.n_rows)):
        row = table.row(r)
        fields: dict[int, str] = {}
        for cell in row:
            if YEAR.match(cell.text):
                fields[cell.col] = f"year:{cell.text}"
            else:
                name = _label_of(cell)
                if name is not None and name != "other":
                    fields.setdefault(cell.col, name)
        # a two-level header: "Calendrier" over "2025 | 2026 | ..."
        sub_years = [c for c in table.starting_row(r + 1) if YEAR.match(c.text)] if r + 1 < table.n_rows else []
        for cell in sub_years:
            fields.setdefault(cell.col, f"year:{cell.text}")
        if "title" in fields.values() and len(set(fields.values())) >= 2:
            x = [_col_x(table, c) for c in sorted(fields)]
            return r + (2 if sub_years else 1), Columns(fields, table.n_cols, x)
    return None


def _col_x(table: Table, col: int) -> float:
    xs = [c.box.x0 for c in table.cells if c.col == col and c.box is not None]
    return min(xs) if xs else 0.0


def _continues(table: Table, previous: Columns | None) -> bool:
    if previous is None or table.n_cols != previous.n_cols:
        return False
    x = [_col_x(table, c) for c in sorted(previous.fields)]
    return all(abs(a - b) <= 6 for a, b in zip(x, previous.x, strict=True))


def table_to_grid(table: Table, previous: Columns | None,
                  rules: StructureRules) -> tuple[list[GridRow], Columns] | None:
    """Rows of an action table; None when the table has no action header and does not continue one."""
    found = _header(table)
    if found is not None:
        start, columns = found
    elif _continues(table, previous):
        assert previous is not None
        start, columns = 0, previous
    else:
        return None
    by_field: dict[str, int] = {}
    for col, name in columns.fields.items():
        by_field.setdefault(name, col)
    header_texts = [c.text for c in table.row(start - 1)] if start else []
    sheet_cols = [f for f in (*TEXT_FIELDS, *LIST_FIELDS) if f in by_field]
    out: list[GridRow] = []
    ax_p, ob_p = rules.patterns("axis"), rules.patterns("objective")
    tick = table_rules().tick
    for r in range(start, table.n_rows):
        row = table.row(r)
        if header_texts and [c.text for c in row] == header_texts:
            continue  # the header repeated on a new page
        filled = [c for c in row if c.text]
        if len(filled) == 1 and filled[0].cols >= max(2, table.n_cols // 2) and filled[0].row == r:
            band = filled[0]
            text = cell_text(band) or ""
            kind = "objective" if _any(ob_p, text) and not _any(ax_p, text) else "axis"
            out.append(GridRow(kind, None, text, band.blocks[0]))
            continue

        def at(name: str, row: list[Cell] = row) -> Cell | None:
            return _covering(row, by_field.get(name))

        title_cell = at("title")
        title = cell_text(title_cell)
        if not title or title_cell is None or title_cell.row != r:
            continue
        number = cell_text(at("number"))
        m = LEADING_NUMBER.match(title)
        if m and not YEAR.match(m["number"]):
            number = number or m["number"]
            title = m["title"]
        years = set(schedule_to_years(cell_text(at("schedule")), rules))
        for col, name in columns.fields.items():
            cell = _covering(row, col) if name.startswith("year:") else None
            if cell is not None and (tick.match(cell.text) or (not cell.text and cell.filled)):
                years.add(int(name[5:]))
        out.append(GridRow("action", number, title, title_cell.blocks[0], axis=at("axis"),
                           objective=at("objective"), years=sorted(years), sheet=_sheet(at) if sheet_cols else None))
    return out, columns


def _any(patterns: list[re.Pattern[str]], text: str) -> bool:
    return any(p.search(text) for p in patterns)
