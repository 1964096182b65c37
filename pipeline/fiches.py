"""Fiches by their fields, not their drawing.

A fiche action is a title plus labelled fields (pilote / porteur, partenaires, public, objectifs, description /
étapes, calendrier / échéance, indicateurs, financement; rules/tables.yaml), whatever draws it:
  - a ruled or borderless table whose first column holds the labels (pipeline/tables.py finds both);
  - "Label : value" paragraphs ("Pilote : CCAS", "Partenaires : CPAM, MSA");
  - headed paragraphs (a short "Partenaires" heading, its value in the paragraphs below);
on one page or several (a table broken across pages continues the fiche: a row without label continues the
previous field). Its number may be "Fiche action n°4", "FA 1.2", "Fiche projet N°2" (restarting in each axis),
"Action 3 –", or absent.

  blocks_to_entries   the document as a stream of entries: fiche heads, fields, continuations, plain text,
                      breaks (structural headings, action grids)
  entries_to_fiches   fiches assembled from the stream: a head (or a run of fields) opens one, fields fill it,
                      the next head, a structural heading or a grid closes it
  value_to_steps      "Etape 1 : …", "Opération 2 : …", "Phase 3 : …" inside a fiche: its steps, each with the
                      years of its own échéance; steps are fields of the action, never actions

The result says which blocks the fiches consumed: their contents (a context field's findings, a step's
operations) are never read again as actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pipeline.blocks import TRAILING
from pipeline.model import Block, Cell, Document, Table
from pipeline.rules import StructureRules, structure_rules, table_rules
from pipeline.sheets import BULLET_PREFIX, Sheet, Step, cell_items, schedule_to_years

SHEET_FIELDS = frozenset({"pilot", "partners", "publics", "schedule", "indicators"})
LABEL_MAX_CHARS = 60
INLINE_LABEL = re.compile(r"^(?P<label>[^:;.!?]{2,45}?)\s*:\s*(?P<value>\S.*)$")


@dataclass
class Entry:
    kind: str  # head | field | more | text | break
    index: int  # index of the document block (the table block for table rows)
    blocks: list[Block] = field(default_factory=list)  # a field's value, a text entry's block
    name: str | None = None  # field name (tables.yaml), or the break's cause
    label: str | None = None
    number: str | None = None  # head: the fiche number as printed
    title: str | None = None  # head: the title printed with the number
    title_block: Block | None = None
    weak: bool = False  # head: an "Action N : …" heading, a fiche only if fields follow
    axis: str | None = None  # head: the axis named in the fiche's header cell ("Axe transversal / Mobilité")


@dataclass
class Fiche:
    number: str | None
    title: str | None
    title_block: Block | None
    fields: dict[str, list[Block]]  # field name -> value blocks (first occurrence of each field, continued)
    labels: list[str]  # field names in the order met
    indices: set[int]  # document blocks it consumed
    first_index: int
    sheet: Sheet = field(default_factory=Sheet)

    @property
    def axis_text(self) -> str | None:
        return _text(self.fields.get("axis"))

    @property
    def objective_text(self) -> str | None:
        return _text(self.fields.get("objective"))


def _text(blocks: list[Block] | None) -> str | None:
    if not blocks:
        return None
    return TRAILING.sub("", " ".join(b.text for b in blocks).strip()) or None


@cache
def _patterns() -> dict[str, list[re.Pattern[str]]]:
    r = structure_rules()
    return {"code": r.patterns("fiche_code"), "action": r.patterns("action"),
            "axis": r.patterns("axis") + r.patterns("axis_reference"),
            "objective": r.patterns("objective") + r.patterns("objective_reference"),
            "step": r.patterns("step_marker"), "step_schedule": r.patterns("step_schedule")}


def label_of(text: str) -> str | None:
    """The field a label names ('Public(s) cible(s) :' -> 'publics'), or None."""
    text = text.strip()
    if not text or len(text) > LABEL_MAX_CHARS:
        return None
    return table_rules().field_of(text)


def head_of(text: str) -> tuple[str | None, str | None, bool] | None:
    """(number, title after the number, weak) for a fiche heading; None when the text is not one."""
    text = BULLET_PREFIX.sub("", text.strip())
    p = _patterns()
    for pattern in p["code"]:
        m = pattern.match(text)
        if m:
            rest = re.sub(r"^[\s:.\-–—|)]+", "", text[m.end():]).strip()
            return m["number"].rstrip("."), (rest or None), False
    for pattern in p["action"]:
        m = pattern.match(text)
        if m:
            return m["number"].rstrip("."), m["title"].strip() or None, True
    return None


def _structural(text: str) -> str | None:
    p = _patterns()
    text = text.strip()
    if any(x.search(text) for x in p["axis"]):
        return "axis"
    if any(x.search(text) for x in p["objective"]):
        return "objective"
    return None


# ---------------------------------------------------------------- the stream
def table_kind(table: Table) -> str:
    """'fiche' (a label column), 'grid' (a header row naming columns) or 'layout'."""
    labels = codes = 0
    for r in range(table.n_rows):
        row = table.starting_row(r)
        if not row or row[0].col != 0:
            continue
        first = row[0]
        head = _cell_head(first)
        if head is not None and not head[2]:
            codes += 1
        elif first.cols < table.n_cols and label_of(first.text) is not None:
            labels += 1
    top = table.starting_row(0)
    continued = bool(top) and top[0].col == 0 and not top[0].text and any(c.text for c in top[1:])
    if codes or labels >= 2 or (labels and continued):
        header_row = [c for c in table.row(0) if label_of(c.text) is not None]
        if len(header_row) >= 3 and labels < 3:  # a header row of labels above data rows: a grid
            return "grid"
        return "fiche"
    header = [c for c in table.row(0) if label_of(c.text) is not None or re.fullmatch(r"(?:19|20)\d\d", c.text)]
    return "grid" if len(header) >= 2 else "layout"


def table_to_entries(table: Table, index: int) -> list[Entry]:
    out: list[Entry] = []
    for r in range(table.n_rows):
        row = table.starting_row(r)
        if not row:
            continue
        first = row[0]
        rest = [c for c in row[1:] if c.text]
        value = [b for c in rest for b in c.blocks]
        if first.col != 0:  # the label cell of this row spans from a row above: the value continues
            if value or first.text:
                out.append(Entry("more", index, [b for c in row for b in c.blocks]))
            continue
        if len(row) == 1 and first.cols >= table.n_cols:  # a merged row across the table: a title, or text
            head = head_of(first.text)
            if head is not None:
                out.append(Entry("head", index, list(first.blocks), number=head[0], title=head[1],
                                 title_block=first.blocks[0] if first.blocks else None, weak=head[2]))
            elif first.text:
                out.append(Entry("text", index, list(first.blocks), name="band"))
            continue
        head = _cell_head(first)
        axis = _axis_in_head(first.text) if value and first.cols < table.n_cols else None
        if (head is not None and not head[2]) or axis is not None:
            title = _text(value) or (head[1] if head else None)
            title_block = value[0] if value else (first.blocks[0] if first.blocks else None)
            out.append(Entry("head", index, list(first.blocks), number=head[0] if head else None, title=title,
                             title_block=title_block, axis=axis))
            continue
        name = label_of(first.text)
        if name is None and not first.text:
            if value:
                out.append(Entry("more", index, value))
            continue
        if name is None:
            out.append(Entry("field", index, value, name="other", label=first.text))
            continue
        out.append(Entry("field", index, value, name=name, label=first.text))
    return out


def _cell_head(cell: Cell) -> tuple[str | None, str | None, bool] | None:
    """A label cell that holds a fiche number, on its own line or among other words ("Axe transversal /
    Fiche projet N°1 / Mobilité")."""
    head = head_of(cell.text)
    if head is not None or len(cell.text) > LABEL_MAX_CHARS:
        return head
    for block in cell.blocks:
        head = head_of(block.text)
        if head is not None and not head[2]:
            return head[0], None, False
    for m in re.finditer(r"(?i)\b(?:fiche|FA\b|FP\b)", cell.text):
        head = head_of(cell.text[m.start():])
        if head is not None and not head[2]:
            return head[0], None, False
    return None


AXIS_IN_HEAD = re.compile(r"(?i)^(?P<axis>axe\s+(?:transversal|strat[ée]gique\s+\d{1,2}|\d{1,2}|[IVX]{1,4})\b)"
                          r"\s*[:.\-–—]?\s*")


def _axis_in_head(text: str) -> str | None:
    """'Axe transversal Fiche projet N°1 Mobilité' -> 'Axe transversal : Mobilité': the axis a fiche's header cell
    names beside (or instead of) its number."""
    m = AXIS_IN_HEAD.match(text.strip())
    if m is None:
        return None
    rest = text.strip()[m.end():]
    for p in _patterns()["code"]:
        for found in re.finditer(r"(?i)\bfiche", rest):
            c = p.match(rest[found.start():])
            if c:
                rest = rest[: found.start()] + rest[found.start() + c.end():]
                break
    rest = re.sub(r"\s+", " ", rest).strip(" :.-–—")
    return f"{m['axis']} : {rest}" if rest else m["axis"]


def _inline(block: Block) -> Entry | None:
    """'Pilote : CCAS' -> a field entry whose value is the text after the colon."""
    m = INLINE_LABEL.match(BULLET_PREFIX.sub("", block.text.strip()))
    if not m:
        return None
    name = label_of(m["label"])
    if name is None:
        return None
    from dataclasses import replace

    value = replace(block, text=m["value"].strip(), kind="text")
    return Entry("field", -1, [value], name=name, label=m["label"])


def blocks_to_entries(doc: Document, usable: set[int] | None = None) -> list[Entry]:
    """The document as a stream of fiche entries (blocks outside `usable` are breaks)."""
    out: list[Entry] = []
    for i, block in enumerate(doc.blocks):
        if usable is not None and i not in usable:
            out.append(Entry("break", i, name="outside"))
            continue
        if block.table is not None:
            kind = table_kind(block.table)
            if kind == "fiche":
                out.extend(table_to_entries(block.table, i))
            elif kind == "grid":
                out.append(Entry("break", i, name="grid"))
            else:
                out.append(Entry("text", i, [block], name="layout"))
            continue
        text = block.text.strip()
        head = head_of(text) if block.kind != "bullet" or block.bold else None
        if head is not None:
            out.append(Entry("head", i, [block], number=head[0], title=head[1], title_block=block, weak=head[2]))
            continue
        structural = _structural(text) if block.kind != "bullet" else None
        if structural is not None:
            out.append(Entry("break", i, [block], name=structural))
            continue
        inline = _inline(block)
        if inline is not None:
            inline.index = i
            out.append(inline)
            continue
        name = label_of(text.rstrip(" :")) if block.kind == "text" and len(text) <= LABEL_MAX_CHARS else None
        if name is not None and (block.bold or text.endswith(":") or block.level is not None):
            out.append(Entry("field", i, [], name=name, label=text))  # a headed field: its value follows
            continue
        out.append(Entry("text", i, [block]))
    return out


# ---------------------------------------------------------------- assembly
@dataclass
class _Open:
    number: str | None
    title: str | None
    title_block: Block | None
    first_index: int
    weak: bool
    fields: dict[str, list[Block]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    indices: set[int] = field(default_factory=set)
    last: str | None = None  # the field the next continuation belongs to
    headed: bool = False  # the last field was a headed field (its value in the following paragraphs)
    coded: bool = False  # opened by a fiche number ("Fiche action n°3", "FA 1.2") or a header cell naming its axis
    awaiting_title: bool = False

    def add(self, name: str, blocks: list[Block]) -> None:
        if name not in self.fields:
            self.fields[name] = list(blocks)
            self.labels.append(name)
        else:
            self.fields[name].extend(blocks)
        self.last = name

    def known(self) -> set[str]:
        return set(self.labels) - {"other"}


def _accept(f: _Open, min_fields: int) -> bool:
    """A fiche opened by its number ("Fiche action n°3") needs one known field; one opened by an "Action N :"
    heading or by its fields alone needs `min_fields` known fields, one of them a sheet field."""
    known = f.known()
    if f.weak or not f.coded:
        return len(known) >= min_fields and bool(known & SHEET_FIELDS)
    return len(known) >= 1 or (f.title is not None and len(f.labels) >= 2)


def entries_to_fiches(entries: list[Entry], min_fields: int = 2) -> list[Fiche]:
    fiches: list[Fiche] = []
    current: _Open | None = None
    previous_text: Entry | None = None

    def close() -> None:
        nonlocal current
        if current is not None and _accept(current, min_fields):
            fiches.append(_finish(current))
        current = None

    for e in entries:
        if e.kind == "head":
            close()
            current = _Open(e.number, e.title, e.title_block if e.title else None, e.index, e.weak)
            current.coded = not e.weak
            current.indices.add(e.index)
            if e.axis is not None and e.blocks:
                from dataclasses import replace as _replace

                current.add("axis", [_replace(e.blocks[0], text=e.axis)])
                current.last = None
            current.awaiting_title = e.title is None
            previous_text = None
            continue
        if e.kind == "break":
            close()
            previous_text = None
            continue
        if e.kind == "field":
            assert e.name is not None
            if current is None:
                current = _Open(None, None, None, e.index, False)
                if previous_text is not None and previous_text.blocks and _titled(previous_text.blocks[0]):
                    block = previous_text.blocks[0]
                    current.title, current.title_block = block.text.strip(), block
                    current.first_index = previous_text.index
                    current.indices.add(previous_text.index)
            if e.name == "title" and e.blocks:
                title = _text(e.blocks)
                if current.title is None or current.awaiting_title or current.number is None:
                    head = head_of(title or "")
                    if head is not None and head[1]:
                        current.number = current.number or head[0]
                        title = head[1]
                    current.title, current.title_block = title, e.blocks[0]
                    current.awaiting_title = False
            elif e.name == "number" and e.blocks:
                current.number = current.number or _text(e.blocks)
            else:
                current.add(e.name, e.blocks)
            current.headed = not e.blocks and e.index >= 0
            current.indices.add(e.index)
            continue
        if e.kind == "more":
            if current is not None and current.last is not None:
                _continue(current.fields[current.last], e.blocks)
                current.indices.add(e.index)
            elif current is None and fiches and fiches[-1].labels:
                # a page-broken table's first row: the previous fiche goes on, and so do the rows after it
                current = _reopen(fiches.pop())
                _continue(current.fields[current.labels[-1]], e.blocks)
                current.indices.add(e.index)
            continue
        # plain text
        if current is not None:
            if current.awaiting_title and e.blocks and e.blocks[0].kind == "text":
                current.title, current.title_block = e.blocks[0].text.strip(), e.blocks[0]
                current.awaiting_title = False
                current.indices.add(e.index)
                continue
            if current.headed and current.last is not None and e.name is None:
                current.fields[current.last].extend(e.blocks)
                current.indices.add(e.index)
                continue
            if current.labels and e.name is None:
                close()  # text after the fields: the fiche is over (a new one opens with a head or fields)
        previous_text = e
    close()
    return fiches


def _reopen(fiche: Fiche) -> _Open:
    """A finished fiche opened again, its last field continued by the next rows."""
    return _Open(fiche.number, fiche.title, fiche.title_block, fiche.first_index, False, fiche.fields, fiche.labels,
                 fiche.indices, last=fiche.labels[-1], coded=True)


def _continue(value: list[Block], more: list[Block]) -> None:
    """A field's value continued on the next page; a cell broken in the middle of an item ("CPAM de" / "l’Artois")
    joins its two halves."""
    from dataclasses import replace

    if value and more and more[0].text[:1].islower() and not re.search(r"[.;:!?]$", value[-1].text.strip()):
        value[-1] = replace(value[-1], text=f"{value[-1].text.rstrip()} {more[0].text.lstrip()}", line_texts=(),
                            line_right=(), line_left=())
        more = more[1:]
    value.extend(more)


def _titled(block: Block) -> bool:
    """A block that can title an unnumbered fiche: a short heading-like line."""
    return block.kind == "text" and len(block.text) <= 200 and (block.bold or block.level is not None)


def _finish(f: _Open) -> Fiche:
    title = f.title
    if title is not None:
        title = TRAILING.sub("", re.sub(r"\s+", " ", title)).strip() or None
    fiche = Fiche(f.number, title, f.title_block, f.fields, f.labels, f.indices, f.first_index)
    _fill(fiche)
    return fiche


def _fill(fiche: Fiche) -> None:
    rules = structure_rules()
    values = fiche.fields

    def cell(name: str) -> Cell | None:
        blocks = values.get(name)
        if not blocks:
            return None
        return Cell(0, 0, 1, 1, None, tuple(blocks))

    schedule = _text(values.get("schedule"))
    steps = value_to_steps([*values.get("steps", []), *values.get("description", [])], rules)
    fiche.sheet = Sheet(pilot=_text(values.get("pilot")), partners=cell_items(cell("partners")),
                        publics=cell_items(cell("publics"), by_line=True), schedule=schedule,
                        indicators=cell_items(cell("indicators"), by_line=True), steps=steps,
                        last_field=fiche.labels[-1] if fiche.labels else None)


def fiche_years(fiche: Fiche, rules: StructureRules) -> list[int]:
    """The fiche's calendar years; else the union of its steps' years."""
    years = schedule_to_years(fiche.sheet.schedule, rules)
    if years:
        return years
    years = sorted({y for s in fiche.sheet.steps for y in s.years})
    if years or fiche.sheet.steps:
        return years
    found: set[int] = set()  # steps printed without markers: the échéances written in the steps field
    for block in fiche.fields.get("steps", []):
        for p in rules.patterns("step_schedule"):
            for m in p.finditer(block.text):
                found.update(schedule_to_years(m["schedule"], rules))
    return sorted(found)


def value_to_steps(blocks: list[Block], rules: StructureRules) -> list[Step]:
    """Steps of a fiche: each "Etape N : title" (Opération, Phase, Sous-action N.M) or, in a steps field printed
    without such markers, each bold heading (else each bullet or dash item), with the years of its own échéance."""
    markers = rules.patterns("step_marker")
    schedule_ps = rules.patterns("step_schedule")
    detail = re.compile(r"(?i)^(?:r[ée]f[ée]rents?|pilotes?|[ée]ch[ée]ances?|calendrier|partenaires?)\s*:")

    def marker(text: str) -> re.Match[str] | None:
        return next((x for p in markers if (x := p.match(text))), None)

    texts = [BULLET_PREFIX.sub("", b.text.strip()) for b in blocks]
    marked = any(marker(t) for t in texts)
    bold = [b.bold and not detail.match(t) for b, t in zip(blocks, texts, strict=True)]
    headed = any(bold) and not all(bold)
    dashed = [b.kind == "bullet" or bool(re.match(r"^[-–—•]\s", b.text.strip())) for b in blocks]
    steps: list[tuple[str, list[str]]] = []
    previous_marker = False
    for k, text in enumerate(texts):
        m = marker(text)
        if m is not None:
            title = text[m.end():].strip()
            for p in schedule_ps:  # "Etape 3 : … Echéance : 2022" printed in one paragraph
                found = p.search(title)
                if found:
                    title = title[: found.start()].strip()
            steps.append((TRAILING.sub("", title), [text[m.end():]]))
            previous_marker = True
            continue
        starts = (headed and bold[k] and not previous_marker) or (not marked and not headed and dashed[k])
        previous_marker = False
        if starts:
            steps.append((TRAILING.sub("", text), [text]))
        elif steps:
            steps[-1][1].append(text)
    out: list[Step] = []
    for title, parts in steps:
        if not title:
            continue
        schedule = None
        for t in parts:
            for p in schedule_ps:
                found = p.search(t)
                if found:
                    schedule = found["schedule"].strip()
                    break
            if schedule:
                break
        out.append(Step(title, schedule_to_years(schedule, rules), schedule))
    return out
