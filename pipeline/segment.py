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
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from pipeline.model import Block, Box, Document
from pipeline.rules import StructureRules, structure_rules
from pipeline.sheets import LEADING_NUMBER, Columns, Sheet, schedule_to_years, table_to_fiche, table_to_grid


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


TRAILING = re.compile(r"[\s.,;:]+$")


def clean_title(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^[•\-–—*·▪■►➢➜▼▶▸\s]+", "", text)
    for suffix in structure_rules().patterns("title_suffix"):
        text = suffix.sub("", text)
    return TRAILING.sub("", text)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def soft_key(text: str) -> str:
    """Case, accents, punctuation and spacing ignored: to recognise the same title printed twice."""
    return re.sub(r"[\W_]+", "", _fold(text))


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
    sentences = [x for t in texts for x in re.split(r"(?<=[.!?])\s+(?=[A-ZÀÉÈ«])", t)]
    for text in sentences:
        if distractor.search(text):
            continue
        m = _match(rules.patterns("signed_on"), text)
        if m:
            month = m["month"]
            month_n = int(month) if month.isdigit() else months[_fold(month)]
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
    """Axes, objectives and actions as they are met, with the lookups that tables need."""

    def __init__(self, rules: StructureRules) -> None:
        self.rules = rules
        self.axes: list[Node] = []
        self.objectives: list[Node] = []
        self.actions: list[Node] = []

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

    def objective_for(self, text: str, block: Block, axis: Node | None) -> Node:
        m = _match(self.rules.patterns("objective"), text) or LEADING_NUMBER.match(text)
        number, title = (m["number"].rstrip("."), clean_title(m["title"])) if m else (None, clean_title(text))
        axis_number = axis.number if axis else None
        for obj in self.objectives:
            if obj.axis == axis_number and soft_key(obj.title) == soft_key(title):
                return obj
        obj = Node("objective", number, title, block, axis=axis_number)
        self.objectives.append(obj)
        return obj


def blocks_to_numbered(doc: Document, rules: StructureRules) -> tuple[list[Node], list[Node], list[Node]]:
    """Numbered axes/objectives/actions, numbered lists of actions in year groups or Actions sections, fiche
    action tables and action tables (pipeline/sheets.py)."""
    built = _Builder(rules)
    axes, objectives, actions = built.axes, built.objectives, built.actions
    axis: Node | None = None
    objective: Node | None = None
    years: list[int] = []
    action_context = False
    bullet_context = False  # after an "Actions" heading: bullets are actions too
    excluded = False
    ax_p, ob_p, ac_p = rules.patterns("axis"), rules.patterns("objective"), rules.patterns("action")
    item_p, fiche_p = rules.patterns("numbered_item"), rules.patterns("fiche_heading")
    columns: Columns | None = None
    heading_action: Node | None = None  # an action just opened by a "Fiche action n°X : title" heading
    pending: tuple[str, Block | None] | None = None  # "FICHE ACTION N°2.3" with its title still to come
    candidates: list[Node] = []  # bullets under an axis or objective heading: actions if nothing else is
    queue = list(doc.blocks)
    i = 0
    while i < len(queue):
        block = queue[i]
        i += 1
        text = block.text.strip()
        just_opened, heading_action = heading_action, None
        if block.table is not None:
            fiche = table_to_fiche(block.table)
            if fiche is not None:
                last = actions[-1] if actions else None
                if (fiche.title is None and fiche.number is None and pending is None and last is not None
                        and last.sheet is not None and not {"axis", "objective"} & fiche.labelled):
                    last.sheet.merge(fiche.sheet, fiche.lead)  # the rest of a fiche broken across pages
                    last.years = sorted(set(last.years) | set(schedule_to_years(fiche.sheet.schedule, rules)))
                    continue
                if fiche.axis and fiche.axis_block is not None:
                    axis = built.axis_for(fiche.axis, fiche.axis_block)
                    objective = None
                if fiche.objective and fiche.objective_block is not None:
                    objective = built.objective_for(fiche.objective, fiche.objective_block, axis)
                action_years = schedule_to_years(fiche.sheet.schedule, rules)
                if just_opened is not None and just_opened.sheet is None and (
                        fiche.title is None or soft_key(fiche.title) == soft_key(just_opened.title)):
                    just_opened.sheet, just_opened.years = fiche.sheet, action_years
                    just_opened.axis = axis.number if axis else just_opened.axis
                    just_opened.objective = objective.title if objective else just_opened.objective
                else:
                    number = fiche.number or (pending[0] if pending else None)
                    title = fiche.title
                    title_block = fiche.title_block
                    if title is None and pending is not None and pending[1] is not None:
                        title, title_block = clean_title(pending[1].text), pending[1]
                    if title and title_block is not None:
                        actions.append(Node("action", number, clean_title(title), title_block,
                                            axis=axis.number if axis else None,
                                            objective=objective.title if objective else None,
                                            years=action_years, sheet=fiche.sheet))
                pending = None
                continue
            grid = table_to_grid(block.table, columns, rules)
            if grid is not None:
                rows, columns = grid
                for row in rows:
                    if row.kind == "axis":
                        axis, objective = built.axis_for(row.title, row.block), None
                    elif row.kind == "objective":
                        objective = built.objective_for(row.title, row.block, axis)
                    else:
                        if row.axis is not None:
                            new_axis = built.axis_for(*row.axis)
                            if new_axis is not axis:
                                axis, objective = new_axis, None
                        if row.objective is not None:
                            objective = built.objective_for(row.objective[0], row.objective[1], axis)
                        actions.append(Node("action", row.number, clean_title(row.title), row.block,
                                            axis=axis.number if axis else None,
                                            objective=objective.title if objective else None,
                                            years=row.years, sheet=row.sheet))
                continue
            # a layout table: its cells are read as text, row by row
            cells = sorted(block.table.cells, key=lambda c: (c.row, c.col))
            queue[i:i] = [b for c in cells for b in c.blocks]
            continue
        if pending is not None and pending[1] is None and block.kind == "text":
            pending = (pending[0], block)
            continue
        if _kind_heading(block, rules, "not_actions_heading") and _is_heading(block, doc.body_size):
            excluded, action_context, bullet_context = True, False, False
            continue
        label = _label_then_title(block, queue[i] if i < len(queue) else None, rules, doc.body_size)
        if label is not None:  # "AXE 1" / "OBJECTIF 1.1" over its title in the next block
            kind, number, title_block = label
            i += 1
            if kind == "axis":
                axis = built.axis_for(f"Axe {number} : {title_block.text}", block)
                objective, years, excluded = None, [], False
            else:
                objective = Node("objective", number, clean_title(title_block.text), block,
                                 axis=axis.number if axis else None)
                objectives.append(objective)
                excluded = False
            continue
        m = _match(ax_p, clean_title(text)) if block.kind != "bullet" or block.bold else None
        if m:
            axis = built.axis_for(clean_title(text), block)
            objective, years, excluded = None, [], False
            continue
        m = _match(ob_p, text)
        if m:
            objective = Node("objective", m["number"], clean_title(m["title"]), block,
                             axis=axis.number if axis else None)
            objectives.append(objective)
            excluded = False
            continue
        m = _match(fiche_p, text) if block.kind != "bullet" else None
        if m:
            pending = (m["number"], None)
            excluded = False
            continue
        year = _year_label(block, rules)
        if year is not None:
            years, action_context, excluded = [year], True, False
            continue
        if _kind_heading(block, rules, "actions_heading"):
            action_context, bullet_context, excluded, years = True, True, False, []
            continue
        if excluded:
            continue
        m = _match(ac_p, text)
        if m is None and (action_context or objective is not None):
            m = _match(item_p, text)
        if m:
            actions.append(Node("action", m["number"], clean_title(m["title"]), block,
                                axis=axis.number if axis else None,
                                objective=objective.title if objective else None, years=list(years)))
            heading_action = actions[-1]
            continue
        if block.kind == "bullet" and clean_title(text):
            node = Node("action", None, clean_title(text), block, axis=axis.number if axis else None,
                        objective=objective.title if objective else None, years=list(years))
            if bullet_context:
                actions.append(node)
                continue
            if axis is not None or objective is not None:
                candidates.append(node)
        if _is_heading(block, doc.body_size) and (block.size >= 1.15 * doc.body_size or bullet_context):
            action_context = bullet_context = False
            years = []
    return axes, objectives, _merge_duplicates(actions or candidates)


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
        boxes = [b.box for b in [self.heading, *self.items] if b.box is not None]
        if not boxes:
            return None
        out = boxes[0]
        for b in boxes[1:]:
            out = out.union(b)
        return out


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


def blocks_to_prose_axes(doc: Document, rules: StructureRules) -> list[Node]:
    """Axes enumerated in a sentence (press articles, web pages): the first enumeration of this contract's axes."""
    distractor = re.compile(rules.raw["prose_distractor"], re.I)
    ordinals = re.compile(rules.raw["prose_ordinals"], re.I)
    for block in doc.blocks:
        if block.kind == "table" or len(block.text) < 40:
            continue
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-ZÀÉÈ«])", block.text):
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

    axes, objectives, actions = blocks_to_numbered(doc, rules)
    if not axes:
        t_axes, t_objectives, t_actions = blocks_to_thematic(doc, rules)
        if t_axes:
            axes, objectives, actions = t_axes, t_objectives, [*t_actions, *actions]
    if not actions or all(a.number is None and a.block.kind == "bullet" for a in actions):
        g_axes, g_objectives, g_actions = blocks_to_heading_groups(doc, rules, axes)
        if g_actions:
            axes, objectives, actions = g_axes, [*objectives, *g_objectives], g_actions
    if not axes:
        axes = blocks_to_listed_axes(doc, rules)
    if not axes:
        axes = blocks_to_prose_axes(doc, rules)

    overview = not axes and not actions and _match(rules.patterns("overview"), joined) is not None
    warnings: list[tuple[str, str]] = []
    declared_axes = text_to_declared(texts, rules, "declared_axes")
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
    axes, objectives, actions = _in_axis_order(axes, _dedupe_objectives(objectives), actions)
    return Tree("contract", territory, start, end, text_to_signed_on(texts, rules), declared_axes,
                declared_actions, axes, objectives, actions, warnings)


def _in_axis_order(axes: list[Node], objectives: list[Node],
                   actions: list[Node]) -> tuple[list[Node], list[Node], list[Node]]:
    """Axes numbered 1..n in their numeric order (boxes laid out in a grid are read row by row), objectives and
    actions grouped under them, keeping reading order within each axis."""
    if not axes or not all(a.number and a.number.isdigit() for a in axes):
        return axes, objectives, actions
    ordered = sorted(axes, key=lambda a: int(a.number or 0))
    rank = {a.number: k for k, a in enumerate(ordered)}
    return (ordered, sorted(objectives, key=lambda o: rank.get(o.axis, len(rank))),
            sorted(actions, key=lambda a: rank.get(a.axis, len(rank))))


def _dedupe_objectives(objectives: list[Node]) -> list[Node]:
    seen: set[tuple[str | None, str]] = set()
    out = []
    for o in objectives:
        key = (o.axis, o.title)
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out
