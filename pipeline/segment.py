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


@dataclass
class Node:
    kind: str  # axis | objective | action
    number: str | None
    title: str
    block: Block
    axis: str | None = None
    objective: str | None = None
    years: list[int] = field(default_factory=list)


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
    text = re.sub(r"^[•\-–—*·▪■►➢➜\s]+", "", text)
    return TRAILING.sub("", text)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def _match(patterns: list[re.Pattern[str]], text: str) -> re.Match[str] | None:
    for p in patterns:
        m = p.search(text)
        if m:
            return m
    return None


# ---------------------------------------------------------------- metadata
def _all_text(doc: Document) -> list[str]:
    return [*doc.furniture, *(b.text for b in doc.blocks)]


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
            return start, start + rules.number(m["years"])
        m = _match(rules.patterns("period_end_after_years"), text)
        if m:
            end = int(m["end"])
            return end - rules.number(m["years"]), end
    return None, None


def text_to_signed_on(texts: list[str], rules: StructureRules) -> date | None:
    months = rules.raw["months"]
    for text in texts:
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
                if len(name) >= 3:
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


def blocks_to_numbered(doc: Document, rules: StructureRules) -> tuple[list[Node], list[Node], list[Node]]:
    """Numbered axes/objectives/actions, and numbered lists of actions in year groups or Actions sections."""
    axes: list[Node] = []
    objectives: list[Node] = []
    actions: list[Node] = []
    axis: Node | None = None
    objective: Node | None = None
    years: list[int] = []
    action_context = False
    excluded = False
    ax_p, ob_p, ac_p = rules.patterns("axis"), rules.patterns("objective"), rules.patterns("action")
    item_p = rules.patterns("numbered_item")
    for block in doc.blocks:
        text = block.text.strip()
        if _kind_heading(block, rules, "not_actions_heading") and _is_heading(block, doc.body_size):
            excluded, action_context = True, False
            continue
        m = _match(ax_p, text) if block.kind != "bullet" else None
        if m:
            axis = Node("axis", m["number"], clean_title(m["title"]), block)
            axes.append(axis)
            objective, years, excluded = None, [], False
            continue
        m = _match(ob_p, text)
        if m:
            objective = Node("objective", m["number"], clean_title(m["title"]), block,
                             axis=axis.number if axis else None)
            objectives.append(objective)
            excluded = False
            continue
        year = _year_label(block, rules)
        if year is not None:
            years, action_context, excluded = [year], True, False
            continue
        if _kind_heading(block, rules, "actions_heading"):
            action_context, excluded, years = True, False, []
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
            continue
        if _is_heading(block, doc.body_size) and block.size >= 1.15 * doc.body_size:
            action_context = False
            years = []
    return axes, objectives, actions


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
    if not axes:
        axes = blocks_to_listed_axes(doc, rules)

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
    return Tree("contract", territory, start, end, text_to_signed_on(texts, rules), declared_axes,
                declared_actions, axes, _dedupe_objectives(objectives), actions, warnings)


def _dedupe_objectives(objectives: list[Node]) -> list[Node]:
    seen: set[tuple[str | None, str]] = set()
    out = []
    for o in objectives:
        key = (o.axis, o.title)
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out
