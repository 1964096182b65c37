"""Blocks in reading order -> contract tree (axes > objectives > actions, years, metadata).

Rules are data (pipeline/rules/structure.yaml). Three ways of finding the structure, tried in order:
  1. numbered headings ("Axe 2 :", "Priorité 1 :", "Action 7 :") and numbered action lists in year groups;
  2. thematic action-plan tables: a page heading, an "Objectifs" section, objective headings ending in ":"
     with their bullet items, and year tiles beside each objective group;
  3. an announced list of axes ("Six enjeux structurent le contrat :" followed by list items).
Actions found by 1 (numbered lists in year groups) are kept whatever the axes came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pipeline.blocks import TRAILING
from pipeline.enumerations import Enumeration, blocks_to_enumerations
from pipeline.fiches import Fiche, blocks_to_entries, entries_to_fiches, fiche_years
from pipeline.model import Block, Box, Cell, Document
from pipeline.outline import Outline, document_to_outline
from pipeline.rules import StructureRules, fold, structure_rules
from pipeline.sheets import (
    LEADING_NUMBER,
    Columns,
    GridRow,
    Sheet,
    cell_text,
    schedule_to_years,
    table_to_grid,
)


@dataclass
class Node:
    kind: str  # axis | objective | action
    number: str | None
    title: str
    block: Block
    axis: str | None = None
    objective: str | None = None
    years: list[int] = field(default_factory=list)
    sheet: Sheet | None = None


@dataclass
class Tree:
    document_kind: str
    territory: str | None
    period_start: int | None
    period_end: int | None
    signed_on: date | None
    declared_axes: int | None
    declared_actions: int | None
    axes: list[Node]
    objectives: list[Node]
    actions: list[Node]
    warnings: list[tuple[str, str]]


class NotACLS(ValueError):
    pass


def clean_title(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^[•\-–—*·▪■►➢➜▼▶▸\s]+", "", text)
    for suffix in structure_rules().patterns("title_suffix"):
        text = suffix.sub("", text)
    return TRAILING.sub("", text)


def soft_key(text: str) -> str:
    """Case, accents, punctuation and spacing ignored: to recognise the same title printed twice."""
    return re.sub(r"[\W_]+", "", fold(text))


def _sentences(text: str) -> list[str]:
    """Sentences of a paragraph (split after . ! ? before a capital or an opening quote)."""
    return re.split(r"(?<=[.!?])\s+(?=[A-ZÀÉÈ«])", text)


def _match(patterns: list[re.Pattern[str]], text: str) -> re.Match[str] | None:
    for p in patterns:
        m = p.search(text)
        if m:
            return m
    return None


# ---------------------------------------------------------------- metadata
def _all_text(doc: Document) -> list[str]:
    out = list(doc.furniture)
    for b in doc.blocks:
        if b.table is not None:
            out.extend(x.text for c in b.table.cells for x in c.blocks)
        else:
            out.append(b.text)
    return out


def text_to_period(texts: list[str], rules: StructureRules) -> tuple[int | None, int | None]:
    context = re.compile(rules.raw["period_context"], re.I)
    for text in texts:
        if not context.search(text):
            continue
        for found in (m for p in rules.patterns("period_range") for m in p.finditer(text)):
            start, end = int(found["start"]), int(found["end"])
            if 1 <= end - start <= 10:
                return start, end
    for text in texts:
        m = _match(rules.patterns("period_duration"), text)
        if m:
            start = int(m["start"])
            return start, start + rules.number(m["years"]) - 1  # "cinq ans à compter de 2024": 2024-2028
        m = _match(rules.patterns("period_end_after_years"), text)
        if m:
            end = int(m["end"])
            return end - rules.number(m["years"]), end
    return None, None


def text_to_signed_on(texts: list[str], rules: StructureRules) -> date | None:
    months = rules.raw["months"]
    distractor = re.compile(rules.raw["prose_distractor"], re.I)
    for text in (x for t in texts for x in _sentences(t)):
        if distractor.search(text):
            continue
        m = _match(rules.patterns("signed_on"), text)
        if m:
            month = m["month"]
            month_n = int(month) if month.isdigit() else months[fold(month)]
            try:
                return date(int(m["year"]), month_n, int(m["day"]))
            except ValueError:
                continue
    return None


def text_to_declared(texts: list[str], rules: StructureRules, key: str) -> int | None:
    for text in texts:
        m = _match(rules.patterns(key), text)
        if m:
            return rules.number(m["count"])
    return None


def normalise_territory(name: str, rules: StructureRules) -> str:
    for stop in rules.raw["territory_stop_words"]:
        idx = name.find(" " + stop)
        if idx > 0:
            name = name[:idx]
    name = re.sub(r"\s+et\s+(?:du|de la|de l[’']|des|le|la|les|l[’'])\s*", " et ", name)
    name = re.sub(r"\s+(?:et|de|du|des|la|le|sur|en)$", "", name.strip())
    words = name.split()
    if words and words[0].isupper() and len(name) > 4:  # "L'ERNEE ET LE BOCAGE" printed in capitals
        name = " ".join(w if w in {"et"} else w.capitalize() for w in name.lower().split())
    return name.strip(" ’'")


def text_to_territory(texts: list[str], rules: StructureRules) -> str | None:
    for pattern in rules.patterns("territory"):
        for text in texts:
            flat = re.sub(r"\s+", " ", text)
            m = pattern.search(flat)
            if m:
                name = normalise_territory(m["territory"], rules)
                if len(name) >= 3 and name not in rules.raw["territory_not_names"]:
                    return name
    return None


# ---------------------------------------------------------------- structure
def _kind_heading(block: Block, rules: StructureRules, key: str) -> bool:
    return block.kind != "bullet" and len(block.text) < 90 and _match(rules.patterns(key), block.text) is not None


def _year_label(block: Block, rules: StructureRules) -> int | None:
    if block.kind == "year":
        return block.year
    if len(block.text) <= 30:
        m = _match(rules.patterns("year_group"), block.text.strip())
        if m:
            return int(m["year"])
    return None


def _is_heading(block: Block, body_size: float) -> bool:
    return block.kind == "text" and (block.bold or block.size >= 1.15 * body_size or (block.level or 9) <= 4) \
        and len(block.text) < 160


class _Builder:
    """Axes, objectives and actions as they are met, the current axis and objective, and the table handlers."""

    def __init__(self, rules: StructureRules) -> None:
        self.rules = rules
        self.axes: list[Node] = []
        self.objectives: list[Node] = []
        self.actions: list[Node] = []
        self.axis: Node | None = None  # the axis and objective the next actions belong to
        self.objective: Node | None = None
        self.columns: Columns | None = None  # the header of the last action grid (continued on the next page)

    def axis_for(self, text: str, block: Block) -> Node:
        ref = _match(self.rules.patterns("axis_reference"), text)  # a bare "Axe 2" refers to a known axis
        if ref is not None:
            known = next((a for a in self.axes if a.number == ref["number"]), None)
            if known is not None:
                return known
        m = _match(self.rules.patterns("axis"), text) or LEADING_NUMBER.match(text)
        number, title = (m["number"].rstrip("."), clean_title(m["title"])) if m else (None, clean_title(text))
        for axis in self.axes:
            if (number is not None and axis.number == number) or soft_key(axis.title) == soft_key(title):
                return axis
        if number is None:
            number = str(len(self.axes) + 1)
        axis = Node("axis", number, title, block)
        self.axes.append(axis)
        return axis

    def objective_for(self, text: str, block: Block) -> Node:
        m = _match(self.rules.patterns("objective"), text) or LEADING_NUMBER.match(text)
        number, title = (m["number"].rstrip("."), clean_title(m["title"])) if m else (None, clean_title(text))
        axis_number = self.axis.number if self.axis else None
        for obj in self.objectives:
            if obj.axis == axis_number and soft_key(obj.title) == soft_key(title):
                return obj
        obj = Node("objective", number, title, block, axis=axis_number)
        self.objectives.append(obj)
        return obj

    def enter_axis(self, text: str, block: Block) -> None:
        axis = self.axis_for(text, block)
        if axis is not self.axis:
            self.axis, self.objective = axis, None

    def enter_cell(self, kind: str, cell: Cell | None) -> None:
        """An "Axe" / "Objectif" cell of a fiche or grid row sets the current axis / objective."""
        text = cell_text(cell)
        if cell is None or text is None:
            return
        if kind == "axis":
            self.enter_axis(text, cell.blocks[0])
        else:
            self.objective = self.objective_for(text, cell.blocks[0])

    def new_action(self, number: str | None, title: str, block: Block, years: list[int],
                   sheet: Sheet | None = None) -> Node:
        """An action under the current axis and objective (not yet added)."""
        return Node("action", number, clean_title(title), block, axis=self.axis.number if self.axis else None,
                    objective=self.objective.title if self.objective else None, years=years, sheet=sheet)

    def action(self, number: str | None, title: str, block: Block, years: list[int],
               sheet: Sheet | None = None) -> Node:
        node = self.new_action(number, title, block, years, sheet)
        self.actions.append(node)
        return node

    def add_fiche(self, fiche: Fiche) -> None:
        """A fiche (pipeline/fiches.py): one action with its sheet, under the axis / objective its own fields
        name, else under the current ones."""
        if fiche.axis_text is not None:  # a fiche names its own axis: no objective unless it names one
            self.enter_axis(fiche.axis_text, fiche.title_block or self._anchor())
            self.objective = None
        if fiche.objective_text is not None:
            self.objective = self.objective_for(fiche.objective_text, fiche.title_block or self._anchor())
        title = fiche.title
        if title is None:
            return
        block = fiche.title_block or self._anchor()
        self.action(fiche.number, title, block, fiche_years(fiche, self.rules), fiche.sheet)

    def _anchor(self) -> Block:
        return Block(text="", kind="text", page=1, box=None, size=10.0, bold=False)

    def add_grid_rows(self, rows: list[GridRow]) -> None:
        for row in rows:
            if row.kind == "axis":
                self.axis, self.objective = self.axis_for(row.title, row.block), None
            elif row.kind == "objective":
                self.objective = self.objective_for(row.title, row.block)
            else:
                self.enter_cell("axis", row.axis)
                self.enter_cell("objective", row.objective)
                self.action(row.number, row.title, row.block, row.years, row.sheet)


def blocks_to_numbered(doc: Document, rules: StructureRules, fiches: list[Fiche] | None = None,
                       action_ok: set[int] | None = None) -> tuple[list[Node], list[Node], list[Node]]:
    """Numbered axes/objectives/actions, numbered lists of actions in year groups or Actions sections, fiches
    (pipeline/fiches.py, placed where they start) and action tables (pipeline/sheets.py).

    `action_ok`: indices of the blocks where actions may be read (pipeline/outline.py); the others still give
    axes and objectives."""
    b = _Builder(rules)
    years: list[int] = []
    action_context = False
    bullet_context = False  # after an "Actions" heading: bullets are actions too
    ax_p, ob_p, ac_p = rules.patterns("axis"), rules.patterns("objective"), rules.patterns("action")
    item_p = rules.patterns("numbered_item")
    candidates: list[Node] = []  # bullets under an axis or objective heading: actions if nothing else is
    fiches = fiches or []
    consumed = {i for f in fiches for i in f.indices}
    starts = {f.first_index: f for f in fiches}
    queue: list[tuple[int, Block | Fiche]] = []
    for k, block in enumerate(doc.blocks):
        if k in starts:
            queue.append((k, starts[k]))
        if k not in consumed:
            queue.append((k, block))
    i = 0
    while i < len(queue):
        index, item = queue[i]
        i += 1
        if isinstance(item, Fiche):
            b.add_fiche(item)
            continue
        block = item
        allowed = action_ok is None or index in action_ok
        text = block.text.strip()
        if block.table is not None:
            grid = table_to_grid(block.table, b.columns, rules)
            if grid is not None:
                rows, b.columns = grid
                if allowed:
                    b.add_grid_rows(rows)
            else:  # a layout table: its cells are read as text, row by row
                cells = sorted(block.table.cells, key=lambda c: (c.row, c.col))
                queue[i:i] = [(index, x) for c in cells for x in c.blocks]
            continue
        nxt = queue[i][1] if i < len(queue) else None
        label = _label_then_title(block, nxt if isinstance(nxt, Block) else None, rules, doc.body_size)
        if label is not None:  # "AXE 1" / "OBJECTIF 1.1" over its title in the next block
            kind, number, title_block = label
            i += 1
            if kind == "axis":
                b.axis, b.objective = b.axis_for(f"Axe {number} : {title_block.text}", block), None
                years = []
            else:
                b.objective = b.objective_for(f"Objectif {number} : {title_block.text}", block)
            continue
        if (block.kind != "bullet" or block.bold) and _match(ax_p, clean_title(text)):
            b.axis, b.objective = b.axis_for(clean_title(text), block), None
            years = []
            continue
        if _match(ob_p, text):
            b.objective = b.objective_for(text, block)
            continue
        year = _year_label(block, rules)
        if year is not None:
            years, action_context = [year], True
            continue
        if _kind_heading(block, rules, "actions_heading"):
            action_context, bullet_context, years = True, True, []
            continue
        if not allowed:
            continue
        m = _match(ac_p, text)
        if m is None and (action_context or b.objective is not None):
            m = _match(item_p, text)
        if m:
            b.action(m["number"], m["title"], block, list(years))
            continue
        title = clean_title(text)
        if block.kind == "bullet" and title:
            if bullet_context:
                b.action(None, title, block, list(years))
                continue
            if b.axis is not None or b.objective is not None:
                candidates.append(b.new_action(None, title, block, list(years)))
        if _is_heading(block, doc.body_size) and (block.size >= 1.15 * doc.body_size or bullet_context):
            action_context = bullet_context = False
            years = []
    return b.axes, b.objectives, _merge_duplicates(b.actions or candidates)


def _label_then_title(block: Block, nxt: Block | None, rules: StructureRules,
                      body_size: float) -> tuple[str, str, Block] | None:
    """A bare "AXE 1" / "OBJECTIF 1.1" label whose title is the next heading-like block."""
    if block.kind == "bullet" or nxt is None or nxt.kind != "text" or len(nxt.text) > 200:
        return None
    for kind, key in (("axis", "axis_reference"), ("objective", "objective_reference")):
        m = _match(rules.patterns(key), block.text.strip())
        if m is None:
            continue
        if any(_match(rules.patterns(k), nxt.text) for k in ("axis", "objective", "action", "axis_reference")):
            return None
        if not (_is_heading(nxt, body_size) or nxt.size >= block.size):
            return None
        return kind, m["number"], nxt
    return None


def _merge_duplicates(actions: list[Node]) -> list[Node]:
    """An action printed twice (a recap table and its fiche) is kept once, preferring the copy with a sheet."""
    out: list[Node] = []
    index: dict[tuple[str | None, str], int] = {}
    for action in actions:
        key = (action.number, soft_key(action.title))
        if key in index:
            k = index[key]
            if out[k].sheet is None and action.sheet is not None:
                out[k] = action
            continue
        index[key] = len(out)
        out.append(action)
    return out


@dataclass
class _Group:
    heading: Block
    items: list[Block]

    @property
    def box(self) -> Box | None:
        return Box.union_of(b.box for b in [self.heading, *self.items])


def blocks_to_thematic(doc: Document, rules: StructureRules) -> tuple[list[Node], list[Node], list[Node]]:
    """Thematic tables: page heading (axis) > 'Objectifs' > 'heading :' groups (objectives) > bullets."""
    axes: list[Node] = []
    objectives: list[Node] = []
    actions: list[Node] = []
    blocks = list(doc.blocks)
    obj_heading_p = rules.patterns("objectives_heading")
    by_page: dict[int, list[int]] = {}
    for i, b in enumerate(blocks):
        by_page.setdefault(b.page, []).append(i)
    for idxs in by_page.values():
        page_blocks = [blocks[i] for i in idxs]
        marker = next((k for k, b in enumerate(page_blocks) if _match(obj_heading_p, b.text.strip())
                       and b.kind == "text" and b.bold and k + 1 < len(page_blocks)
                       and page_blocks[k + 1].kind != "bullet"), None)
        if marker is None:
            continue
        groups: list[_Group] = []
        tiles: list[Block] = []
        for b in page_blocks[marker + 1:]:
            if b.kind == "year":
                tiles.append(b)
            elif b.kind == "text" and b.bold and b.text.rstrip().endswith(":"):
                groups.append(_Group(b, []))
            elif b.kind == "bullet" and groups:
                groups[-1].items.append(b)
        groups = [g for g in groups if g.items]
        if not groups:
            continue
        head = max(page_blocks[:marker] or [page_blocks[marker]], key=lambda b: b.size)
        if head.size < 1.3 * doc.body_size:
            continue
        axis = Node("axis", str(len(axes) + 1), clean_title(head.text), head)
        axes.append(axis)
        for g in groups:
            years = _tile_years(g, tiles)
            obj = Node("objective", None, clean_title(g.heading.text), g.heading, axis=axis.number)
            objectives.append(obj)
            for item in g.items:
                actions.append(Node("action", None, clean_title(item.text), item, axis=axis.number,
                                    objective=obj.title, years=years))
    return axes, objectives, actions


def _tile_years(group: _Group, tiles: list[Block]) -> list[int]:
    box = group.box
    if box is None:
        return []
    hits = [t.year for t in tiles if t.box is not None and t.year is not None
            and t.box.y_overlap(box) > 0 and t.box.x0 >= box.x0]
    return sorted(set(hits))


def blocks_to_listed_axes(doc: Document, rules: StructureRules) -> list[Node]:
    """'Enjeux' / 'Six enjeux structurent le contrat' followed by list items: each item is an axis."""
    p = rules.patterns("axes_list_heading")
    blocks = list(doc.blocks)
    for i, b in enumerate(blocks):
        if b.kind == "bullet" or not _match(p, b.text.strip()):
            continue
        axes: list[Node] = []
        for nxt in blocks[i + 1:]:
            if nxt.kind == "bullet":
                axes.append(Node("axis", str(len(axes) + 1), clean_title(nxt.text), nxt))
            elif axes or _is_heading(nxt, doc.body_size):
                break
        if axes:
            return axes
    return []


def enumerations_to_axes(enumerations: list[Enumeration], declared: int | None) -> list[Node]:
    """Axes from the enumeration that best fits: one whose items are as many as the document declares (in the
    announcement or elsewhere), else the first strong one, else the first weak one ("objectifs")."""
    axes = [e for e in enumerations if e.announcement.kind == "axes"]
    if not axes:
        return []

    def rank(e: Enumeration) -> tuple[int, int, int]:
        count = e.announcement.count if e.announcement.count is not None else declared
        agrees = count is not None and count == len(e.items)
        return (0 if agrees else 1, 0 if e.announcement.strength == "strong" else 1, e.index)

    best = min(axes, key=rank)
    return [Node("axis", str(k + 1), clean_title(t), b) for k, (t, b) in enumerate(best.items)]


def enumerations_to_actions(enumerations: list[Enumeration]) -> list[Node]:
    """Actions listed after an announcement ("Les 4 actions prioritaires :"), when nothing else gave actions."""
    found = next((e for e in enumerations if e.announcement.kind == "actions" and e.source == "list"), None)
    if found is None:
        return []
    return [Node("action", None, clean_title(t), b) for t, b in found.items]


def blocks_to_prose_axes(doc: Document, rules: StructureRules) -> list[Node]:
    """Axes enumerated in a sentence (press articles, web pages): the first enumeration of this contract's axes."""
    distractor = re.compile(rules.raw["prose_distractor"], re.I)
    ordinals = re.compile(rules.raw["prose_ordinals"], re.I)
    for block in doc.blocks:
        if block.kind == "table" or len(block.text) < 40:
            continue
        for sentence in _sentences(block.text):
            if distractor.search(sentence):
                continue
            items: list[str] = []
            m = _match(rules.patterns("prose_axes_colon"), sentence)
            if m:
                count = rules.number(m["count"])
                items = [x.strip() for x in re.split(r",\s+", m["list"]) if x.strip()]
                if len(items) == count - 1 and " et " in items[-1]:
                    items[-1:] = items[-1].split(" et ", 1)
            else:
                rest = block.text[block.text.find(sentence):]
                m = _match(rules.patterns("prose_axes_announce"), rest)
                if not m:
                    continue
                count = rules.number(m["count"])
                listed = m["list"].split(".")[0] if not re.search(r"[;]", m["list"]) else m["list"]
                listed = re.split(r"\.\s+(?=[A-ZÀÉÈ«])", listed)[0]
                items = [x.strip(" ;,.") for x in ordinals.split(listed) if x.strip(" ;,.")]
            if len(items) == count:
                return [Node("axis", str(k + 1), clean_title(t), block) for k, t in enumerate(items)]
    return []


def _year_tagged(text: str, rules: StructureRules) -> tuple[str, list[int]]:
    m = re.search(rules.raw["year_tag"], text, re.I)
    if m is None:
        return text, []
    return text[: m.start()], schedule_to_years(m["tag"], rules)


def blocks_to_heading_groups(doc: Document, rules: StructureRules,
                             axes: list[Node]) -> tuple[list[Node], list[Node], list[Node]]:
    """Unnumbered plans: bold headings each followed at once by bullet items that start with a capital.

    Under known axes the headings are objectives; without axes, the headings of one style are the axes (with the
    same-style headings just before the first group, whose actions are still to come)."""
    blocks = [b for b in doc.blocks if b.kind != "table"]
    groups: list[tuple[int, list[Block]]] = []
    excluded = False
    for k, b in enumerate(blocks):
        if b.kind == "text" and _is_heading(b, doc.body_size):
            excluded = _match(rules.patterns("not_actions_heading"), b.text.strip()) is not None
        if excluded or b.kind != "text" or not b.bold or b.text.rstrip().endswith(("?", ":")):
            continue
        items: list[Block] = []
        for nxt in blocks[k + 1:]:
            if nxt.kind != "bullet":
                break
            if nxt.text[:1].isupper():
                items.append(nxt)
        if items:
            groups.append((k, items))
    if len(groups) < 2:
        return axes, [], []
    axis_of = {id(a.block): a for a in axes}
    objectives: list[Node] = []
    actions: list[Node] = []
    if axes:
        current: Node | None = None
        gi = 0
        for k, b in enumerate(blocks):
            current = axis_of.get(id(b), current)
            if gi < len(groups) and groups[gi][0] == k:
                obj = Node("objective", None, clean_title(b.text), b, axis=current.number if current else None)
                objectives.append(obj)
                for item in groups[gi][1]:
                    title, years = _year_tagged(item.text, rules)
                    actions.append(Node("action", None, clean_title(title), item, axis=obj.axis,
                                        objective=obj.title, years=years))
                gi += 1
        return axes, objectives, actions
    style = (round(blocks[groups[0][0]].size), blocks[groups[0][0]].bold)
    heads = [k for k, _ in groups if (round(blocks[k].size), blocks[k].bold) == style]
    k = heads[0] - 1
    while k >= 0 and not (_is_heading(blocks[k], doc.body_size) and (round(blocks[k].size), blocks[k].bold) != style):
        if blocks[k].kind == "text" and (round(blocks[k].size), blocks[k].bold) == style:
            heads.insert(0, k)
        k -= 1
    items_of = dict(groups)
    new_axes: list[Node] = []
    for k in heads:
        axis = Node("axis", str(len(new_axes) + 1), clean_title(blocks[k].text), blocks[k])
        new_axes.append(axis)
        for item in items_of.get(k, []):
            title, years = _year_tagged(item.text, rules)
            actions.append(Node("action", None, clean_title(title), item, axis=axis.number, years=years))
    return new_axes, [], actions


# ---------------------------------------------------------------- whole tree
def document_to_tree(doc: Document) -> Tree:
    rules = structure_rules()
    texts = _all_text(doc)
    joined = "\n".join(texts)
    if not _match(rules.patterns("is_cls"), joined):
        raise NotACLS("no mention of a contrat local de santé")

    outline = document_to_outline(doc)
    axis_ok = {i for i in range(len(doc.blocks)) if outline.allows(i, "axes")}
    action_ok = {i for i in axis_ok if outline.allows(i, "actions")}
    fiches = entries_to_fiches(blocks_to_entries(doc, usable=action_ok))
    axis_doc = _restricted(doc, axis_ok)
    keep = sorted(axis_ok)
    renumber = {old: new for new, old in enumerate(keep)}
    fiches = [_renumbered(f, renumber) for f in fiches]
    axes, objectives, actions = blocks_to_numbered(axis_doc, rules, fiches,
                                                   {renumber[i] for i in action_ok})
    doc = _restricted(doc, action_ok)
    if not axes:
        t_axes, t_objectives, t_actions = blocks_to_thematic(doc, rules)
        if t_axes:
            axes, objectives, actions = t_axes, t_objectives, [*t_actions, *actions]
    if not actions or all(a.number is None and a.block.kind == "bullet" for a in actions):
        g_axes, g_objectives, g_actions = blocks_to_heading_groups(doc, rules, axes)
        if g_actions:
            axes, objectives, actions = g_axes, [*objectives, *g_objectives], g_actions
    declared_axes = text_to_declared(texts, rules, "declared_axes")
    enumerations = blocks_to_enumerations(list(axis_doc.blocks))
    if not axes:
        axes = enumerations_to_axes(enumerations, declared_axes)
    if not axes:
        axes = blocks_to_prose_axes(axis_doc, rules)
    if not actions:
        actions = enumerations_to_actions(enumerations)

    overview = not axes and not actions and _match(rules.patterns("overview"), joined) is not None
    warnings: list[tuple[str, str]] = []
    declared_actions = text_to_declared(texts, rules, "declared_actions")
    if overview:
        return Tree("overview", None, None, None, None, None, None, [], [], [], warnings)
    start, end = text_to_period(texts, rules)
    if declared_axes is not None and declared_axes != len(axes):
        warnings.append(("DECLARED_AXES_MISMATCH",
                         f"the document declares {declared_axes} axes, {len(axes)} were found"))
    if declared_actions is not None and declared_actions != len(actions):
        warnings.append(("DECLARED_ACTIONS_MISMATCH",
                         f"the document declares {declared_actions} actions, {len(actions)} were found"))
    territory = text_to_territory(texts, rules)
    if territory is None:
        warnings.append(("TERRITORY_NOT_FOUND", "no contracting territory could be read"))
    objectives = _dedupe_objectives(objectives)
    return Tree("contract", territory, start, end, text_to_signed_on(texts, rules), declared_axes,
                declared_actions, axes, objectives, actions, warnings)


def _restricted(doc: Document, keep: set[int]) -> Document:
    from dataclasses import replace

    return replace(doc, blocks=tuple(b for i, b in enumerate(doc.blocks) if i in keep))


def _renumbered(fiche: Fiche, renumber: dict[int, int]) -> Fiche:
    from dataclasses import replace

    return replace(fiche, indices={renumber[i] for i in fiche.indices if i in renumber},
                   first_index=renumber.get(fiche.first_index, -1))


def _dedupe_objectives(objectives: list[Node]) -> list[Node]:
    seen: set[tuple[str | None, str]] = set()
    out = []
    for o in objectives:
        key = (o.axis, o.title)
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out
