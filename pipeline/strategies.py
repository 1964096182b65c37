"""Segmentation strategies: each finds a contract's structure in one way, says how sure it is, and a policy
(rules/strategies.yaml) decides which one gives the axes and which the actions.

  numbered        numbered headings ("Axe 2 :", "Priorité 1 :", "Action 7 :"), numbered action lists in year
                  groups or "Actions" sections, fiches (pipeline/fiches.py) and action tables (pipeline/sheets.py)
  thematic        thematic action-plan pages: a page heading, an "Objectifs" section, objective headings ending
                  in ":" with their bullet items, year tiles beside each group
  heading_groups  unnumbered plans: bold headings each followed at once by bullet items
  enumeration     an announced list of axes, in a sentence or after it (pipeline/enumerations.py), the one
                  that agrees with the document's declared count first
  prose           axes enumerated with ordinals in a press article ("Premièrement, … ; enfin, …")
  toc             the document's own table of contents, when the body does not carry the axes

Each strategy is a unit: `detect(context) -> Evidence` (how much of the document it explains, and why) and
`segment(context) -> Candidate`; thresholds come from `StrategySettings` (rules/strategies.yaml).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.enumerations import Enumeration
from pipeline.fiches import Fiche, fiche_years
from pipeline.metadata import _sentences
from pipeline.model import Block, Box, Cell, Document, Table
from pipeline.rules import StructureRules
from pipeline.rules.segmentation import StrategySettings, strategy_settings
from pipeline.sheets import LEADING_NUMBER, Columns, GridRow, Sheet, cell_text, schedule_to_years, table_to_grid
from pipeline.tree import Node, clean_title, first_match, soft_key
from pipeline.tree import first_match as _match
from pipeline.tree import merge_duplicates as _merge_duplicates


# ---------------------------------------------------------------- structure
def _settings() -> StrategySettings:
    return strategy_settings()


def _kind_heading(block: Block, rules: StructureRules, key: str) -> bool:
    return block.kind != "bullet" and len(block.text) < _settings().kind_heading_max_chars \
        and _match(rules.patterns(key), block.text) is not None


def _year_label(block: Block, rules: StructureRules) -> int | None:
    if block.kind == "year":
        return block.year
    if len(block.text) <= _settings().year_label_max_chars:
        m = _match(rules.patterns("year_group"), block.text.strip())
        if m:
            return int(m["year"])
    return None


def _is_heading(block: Block, body_size: float) -> bool:
    h = _settings().heading
    return block.kind == "text" and len(block.text) < h.max_chars and (
        block.bold or block.size >= h.size_ratio * body_size or (block.level or 9) <= h.html_max_level)


def _larger(block: Block, body_size: float) -> bool:
    return block.size >= _settings().heading.size_ratio * body_size


class _Builder:
    """Axes, objectives and actions as they are met, the current axis and objective, and the table handlers."""

    def __init__(self, rules: StructureRules) -> None:
        self.rules = rules
        self.axes: list[Node] = []
        self.objectives: list[Node] = []
        self.actions: list[Node] = []
        self.printed: set[int] = set()  # axes whose number the document prints
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
        number, title = (m["number"].rstrip(".") or None, clean_title(m["title"])) if m else (None, clean_title(text))
        for axis in self.axes:
            printed = id(axis) in self.printed
            if (number is not None and printed and axis.number == number) or soft_key(axis.title) == soft_key(title):
                return axis
        if number is None:  # numbered in reading order, skipping the numbers the document prints
            used = {a.number for a in self.axes}
            k = len(self.axes) + 1
            while str(k) in used:
                k += 1
            axis = Node("axis", str(k), title, block)
        else:
            axis = Node("axis", number, title, block)
            for other in self.axes:  # an unnumbered axis numbered in reading order gives way to a printed number
                if other.number == number and id(other) not in self.printed:
                    used = {a.number for a in self.axes} | {number}
                    k = 1
                    while str(k) in used:
                        k += 1
                    for node in [*self.objectives, *self.actions]:
                        if node.axis == other.number:
                            node.axis = str(k)
                    other.number = str(k)
            self.printed.add(id(axis))
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
            self.enter_axis(fiche.axis_text, fiche.fields["axis"][0])
            self.objective = None
        if fiche.objective_text is not None:
            self.objective = self.objective_for(fiche.objective_text, fiche.fields["objective"][0])
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
                number = row.number
                code = _match(self.rules.patterns("fiche_code"), number) if number else None
                self.action(code["number"] if code else number, row.title, row.block, row.years, row.sheet)


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
            if _contents_table(block.table):  # "N° | Intitulé | Page": the document's summary
                continue
            grid = table_to_grid(block.table, b.columns, rules)
            if grid is not None:
                rows, b.columns = grid
                if allowed:
                    b.add_grid_rows([r for r in rows if not _document_part(r)])
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
        if _is_heading(block, doc.body_size) and (_larger(block, doc.body_size) or bullet_context):
            action_context = bullet_context = False
            years = []
    return b.axes, b.objectives, _merge_duplicates(b.actions or candidates)


def _contents_table(table: Table) -> bool:
    """A table whose header has a "Page(s)" column is a table of contents."""
    return any(re.fullmatch(r"(?i)pages?|p\.?|n°\s*de\s*page", c.text.strip()) for r in range(min(2, table.n_rows))
               for c in table.starting_row(r))


PART_NUMBER = re.compile(r"(?i)^(?:titre|partie|article|chapitre|section|annexe)\b")


def _document_part(row: GridRow) -> bool:
    """A row of a summary table that names one of the document's own parts ("Titre 2 | Objet du contrat",
    "Durée, suivi et révision du contrat", "Présentation du diagnostic"), not an action."""
    from pipeline.outline import heading_role

    if row.kind != "action":
        return False
    if row.number is not None and PART_NUMBER.match(row.number):
        return True
    return heading_role(row.title) not in {None, "plan", "overview", "annex"}


def _label_then_title(block: Block, nxt: Block | None, rules: StructureRules,
                      body_size: float) -> tuple[str, str, Block] | None:
    """A bare "AXE 1" / "OBJECTIF 1.1" label whose title is the next heading-like block."""
    if block.kind == "bullet" or nxt is None or nxt.kind != "text" or len(nxt.text) > _settings().label_title_max_chars:
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
        if head.size < _settings().thematic_head_size_ratio * doc.body_size:
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


# The nouns that name a contract's axes most directly: a list of them beats a list of "défis" or "thèmes"
# announced elsewhere on the page (a director's quote about the region's challenges).
PRIMARY_NOUNS = r"(?:axes?|orientations?|enjeux|priorit[ée]s|piliers?|objectifs?\s+strat[ée]giques|th[ée]matiques)\b"


def enumerations_to_axes(enumerations: list[Enumeration], declared: int | None) -> list[Node]:
    """Axes from the enumeration that best fits: one whose items are as many as the document declares (in the
    announcement or elsewhere), else the first strong one, else the first weak one ("objectifs")."""
    return enumerations_to_tree(enumerations, declared)[0]


def enumerations_to_tree(enumerations: list[Enumeration], declared: int | None) -> tuple[list[Node], list[Node]]:
    """Axes from the best-fitting enumeration, and the actions its items carry when each item is printed as
    "Axis title : action ; action" (a page that lists the axes with their actions)."""
    axes = [e for e in enumerations if e.announcement.kind == "axes"]
    if not axes:
        return [], []

    def rank(e: Enumeration) -> tuple[int, int, int, int, int]:
        count = e.announcement.count if e.announcement.count is not None else declared
        agrees = count is not None and count == len(e.items)
        primary = re.match(PRIMARY_NOUNS, e.announcement.noun, re.I) is not None
        return (0 if agrees else 1, 0 if e.announcement.strength == "strong" else 1, 0 if primary else 1,
                0 if e.source in {"list", "table"} else 1, e.index)

    best = min((e for e in axes if not e.announcement.additive), key=rank, default=None)
    if best is None:
        best = min(axes, key=rank)
    items = list(best.items)
    # "Depuis 2019, deux nouveaux axes … :", "un axe transversal … : la santé mentale": added to the list
    for e in axes:
        if e is not best and e.announcement.additive and e.index >= best.index:
            known = {soft_key(t) for t, _ in items}
            items += [(t, b) for t, b in e.items if soft_key(t) not in known]
    heads = [re.match(r"^(.{3,120}?)\s+:\s+(\S.*)$", t) for t, _ in items]
    heads = [h if h and not first_match(rules_axis_reference(), h.group(1)) else None for h in heads]
    labelled = len(items) >= 2 and sum(1 for h in heads if h) >= max(2, 0.66 * len(items))
    out: list[Node] = []
    actions: list[Node] = []
    for k, (t, b) in enumerate(items):  # an item may carry its own number: "Axe 1 « Développement … »"
        head = heads[k] if labelled else None
        if head is not None:
            t = head.group(1)
        m = first_match(rules_axis(), t)
        number = (m["number"] or "").rstrip(".") if m else ""
        out.append(Node("axis", number or str(k + 1), clean_title(m["title"] if m else t), b))
    if len({a.number for a in out}) < len(out):
        for k, a in enumerate(out):
            a.number = str(k + 1)
    if labelled:
        for axis, head in zip(out, heads, strict=True):
            if head is None:
                continue
            for part in re.split(r"\s*;\s*", head.group(2)):
                title = clean_title(part)
                if title:
                    from dataclasses import replace as _replace

                    actions.append(Node("action", None, title, _replace(axis.block, text=part), axis=axis.number))
    return out, actions


def rules_axis_reference() -> list[re.Pattern[str]]:
    from pipeline.rules import structure_rules

    return structure_rules().patterns("axis_reference") + structure_rules().patterns("axis")


def rules_axis() -> list[re.Pattern[str]]:
    from pipeline.rules import structure_rules

    return structure_rules().patterns("axis")


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
    for k, b in enumerate(blocks):
        if b.kind != "text" or not b.bold or b.text.rstrip().endswith(("?", ":")):
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
    # axes named together in one sentence ("trois axes : a, b et c") say nothing about which one a later group is in
    shared = Counter(id(a.block) for a in axes)
    axis_of = {id(a.block): a for a in axes if shared[id(a.block)] == 1}
    objectives: list[Node] = []
    actions: list[Node] = []
    if axes:
        current: Node | None = None
        gi = 0
        for k, b in enumerate(blocks):
            current = axis_of.get(id(b), current)
            if gi < len(groups) and groups[gi][0] == k:
                if id(b) in axis_of:  # the axis heading itself is followed by its actions
                    for item in groups[gi][1]:
                        title, years = _year_tagged(item.text, rules)
                        actions.append(Node("action", None, clean_title(title), item, axis=axis_of[id(b)].number,
                                            years=years))
                    gi += 1
                    continue
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




# ---------------------------------------------------------------- table of contents
TOC_LETTERED = re.compile(r"^(?P<number>[A-H]|[IVX]{1,4})\s*[.)\-–—:]\s*(?P<title>.+)$")
TOC_SUB = re.compile(r"^(?P<number>[A-H]\s*\.?\s*\d{1,2}|[IVX]{1,4}\s*\.\s*\d{1,2}|\d{1,2}\.\d{1,2})"
                     r"\s*[.)\-–—:]?\s*(?P<title>\S.+)$")


TOC_LEADERS = re.compile(r"\s*(?:\.{3,}|…{2,}|(?:\s\.){3,}|_{3,})\s*\d{0,3}\s*$")
TOC_LEADERS_INLINE = re.compile(r"\s*(?:\.{3,}|…{2,}|(?:\s\.){3,}|_{3,})\s*\d{1,3}\b")


@dataclass(frozen=True)
class TocEntry:
    title: str
    indent: float  # left edge of its line (None-like 0.0 for HTML)
    block: Block


def toc_to_entries(blocks: list[Block]) -> list[TocEntry]:
    """Entries of a table of contents: each printed line with dot leaders (its title without leaders and page
    number) and its indentation; a title wrapped over two lines is joined."""
    out: list[TocEntry] = []
    for b in blocks:
        lines = list(zip(b.line_texts, b.line_left, strict=False)) if b.line_texts else \
            [(b.text, b.box.x0 if b.box else 0.0)]
        pending: tuple[str, float] | None = None
        for text, left in lines:
            if not TOC_LEADERS.search(text) and not TOC_LEADERS_INLINE.search(text):
                pending = (f"{pending[0]} {text}" if pending else text, pending[1] if pending else left)
                continue
            parts = TOC_LEADERS_INLINE.split(text) if TOC_LEADERS_INLINE.search(text) else [TOC_LEADERS.sub("", text)]
            for k, part in enumerate(p for p in parts if p.strip(" .:")):
                title = re.sub(r"\s+", " ", part).strip(" .:")
                indent = left
                if pending and k == 0:
                    title, indent = f"{pending[0]} {title}", pending[1]
                out.append(TocEntry(title, indent, b))
            pending = None
    return out


def _levels(entries: list[TocEntry]) -> list[int]:
    """Indentation levels (0 = leftmost) from the entries' left edges, 6 pt apart or more."""
    edges: list[float] = []
    for x in sorted({round(e.indent) for e in entries}):
        if not edges or x - edges[-1] > 6:
            edges.append(x)
    return [max(k for k, edge in enumerate(edges) if round(e.indent) >= edge - 6) for e in entries]


def toc_to_tree(entries: list[TocEntry], rules: StructureRules) -> tuple[list[Node], list[Node]]:
    """Axes and objectives listed in a table of contents, for a document whose body does not carry them (a contract
    cut after its first pages): entries numbered as axes ("Axe 2 …"), else the entries right under a part whose
    title names the plan ("Les priorités et le programme d'actions", "Cadre stratégique"); their own sub-entries
    ("A.1 : …") are objectives."""
    from pipeline.outline import heading_role

    levels = _levels(entries)
    axes: list[Node] = []
    objectives: list[Node] = []
    structural = [e for e in entries if _match(rules.patterns("axis"), e.title)]
    if len(structural) >= 2:
        for e in structural:
            m = _match(rules.patterns("axis"), e.title)
            assert m is not None
            axes.append(Node("axis", (m["number"] or "").rstrip(".") or str(len(axes) + 1), clean_title(m["title"]),
                             e.block))
        return axes, objectives
    plan_level: int | None = None
    for e, level in zip(entries, levels, strict=True):
        if plan_level is not None and level <= plan_level:
            plan_level = None
        role = heading_role(e.title)
        if plan_level is None:
            if role in {"plan", "overview"}:
                plan_level = level
            continue
        title = re.sub(r"^(?:axe\s+transversal|axe\s*\d*)\s*:\s*", "", e.title, flags=re.I)
        if level == plan_level + 1:
            lettered = TOC_LETTERED.match(title)
            number = lettered["number"] if lettered else str(len(axes) + 1)
            axes.append(Node("axis", number, clean_title(lettered["title"] if lettered else title), e.block))
        elif level > plan_level + 1 and axes:
            sub = TOC_SUB.match(title)
            objectives.append(Node("objective", re.sub(r"\s+", "", sub["number"]) if sub else None,
                                   clean_title(sub["title"] if sub else title), e.block, axis=axes[-1].number))
    if len(axes) < 2:
        return [], []
    return axes, objectives


# ---------------------------------------------------------------- strategies as units
@dataclass(frozen=True)
class Evidence:
    """How much of the document a strategy explains, and why (0 = nothing found, 1 = certain)."""

    score: float
    reasons: tuple[str, ...] = ()


@dataclass
class Candidate:
    strategy: str
    axes: list[Node] = field(default_factory=list)
    objectives: list[Node] = field(default_factory=list)
    actions: list[Node] = field(default_factory=list)
    evidence: Evidence = Evidence(0.0)


@dataclass
class Context:
    """What every strategy reads, computed once per document (pipeline/segment.py)."""

    axis_doc: Document  # the blocks where axes may be read (pipeline/outline.py)
    action_doc: Document  # the blocks where actions may be read
    action_ok: set[int]  # indices of axis_doc's blocks where actions may be read
    group_action_ok: set[int]  # indices of action_doc's blocks in sections whose role lets bullets be actions
    fiches: list[Fiche]  # indexed on axis_doc
    enumerations: list[Enumeration]
    toc: list[Block]  # table-of-contents entries
    declared_axes: int | None
    rules: StructureRules


class Numbered:
    name = "numbered"

    def detect(self, ctx: Context) -> Evidence:
        ax = ctx.rules.patterns("axis")
        headings = sum(1 for b in ctx.axis_doc.blocks if b.kind != "bullet" and _match(ax, clean_title(b.text)))
        grids = sum(1 for b in ctx.axis_doc.blocks if b.table is not None)
        reasons = tuple(x for x in (f"{headings} numbered axis headings" if headings else "",
                                    f"{len(ctx.fiches)} fiches" if ctx.fiches else "",
                                    f"{grids} tables" if grids else "") if x)
        return Evidence(1.0 if headings or ctx.fiches else (0.5 if grids else 0.2), reasons)

    def segment(self, ctx: Context) -> Candidate:
        axes, objectives, actions = blocks_to_numbered(ctx.axis_doc, ctx.rules, ctx.fiches, ctx.action_ok)
        return Candidate(self.name, axes, objectives, actions, self.detect(ctx))


class Thematic:
    name = "thematic"

    def detect(self, ctx: Context) -> Evidence:
        marker = ctx.rules.patterns("objectives_heading")
        pages = {b.page for b in ctx.action_doc.blocks if b.bold and _match(marker, b.text.strip())}
        return Evidence(1.0 if pages else 0.0, (f"'Objectifs' sections on pages {sorted(pages)}",) if pages else ())

    def segment(self, ctx: Context) -> Candidate:
        axes, objectives, actions = blocks_to_thematic(ctx.action_doc, ctx.rules)
        return Candidate(self.name, axes, objectives, actions, self.detect(ctx))


class HeadingGroups:
    name = "heading_groups"

    def detect(self, ctx: Context) -> Evidence:
        return Evidence(0.5, ("bold headings followed by bullets",))

    def segment(self, ctx: Context, known: list[Node] | None = None) -> Candidate:
        axes, objectives, actions = blocks_to_heading_groups(ctx.action_doc, ctx.rules, known or [])
        allowed = {id(b) for i, b in enumerate(ctx.action_doc.blocks) if i in ctx.group_action_ok}
        actions = [a for a in actions if id(a.block) in allowed]
        return Candidate(self.name, axes, objectives, actions, self.detect(ctx))


class Enumerated:
    name = "enumeration"

    def detect(self, ctx: Context) -> Evidence:
        axes = [e for e in ctx.enumerations if e.announcement.kind == "axes"]
        if not axes:
            return Evidence(0.0)
        agreeing = [e for e in axes if len(e.items) in {e.announcement.count, ctx.declared_axes}]
        best = (agreeing or axes)[0]
        why = f"{best.announcement.noun!r} announced p{best.block.page} with {len(best.items)} items"
        return Evidence(1.0 if agreeing else 0.5, (why + (", as many as declared" if agreeing else ""),))

    def segment(self, ctx: Context) -> Candidate:
        axes, carried = enumerations_to_tree(ctx.enumerations, ctx.declared_axes)
        return Candidate(self.name, axes, [], carried or enumerations_to_actions(ctx.enumerations),
                         self.detect(ctx))


class Prose:
    name = "prose"

    def detect(self, ctx: Context) -> Evidence:
        return Evidence(0.5, ("axes enumerated with ordinals",))

    def segment(self, ctx: Context) -> Candidate:
        return Candidate(self.name, blocks_to_prose_axes(ctx.axis_doc, ctx.rules), [], [], self.detect(ctx))


class TableOfContents:
    name = "toc"

    def detect(self, ctx: Context) -> Evidence:
        return Evidence(0.5 if ctx.toc else 0.0, (f"{len(ctx.toc)} table-of-contents blocks",) if ctx.toc else ())

    def segment(self, ctx: Context) -> Candidate:
        axes, objectives = toc_to_tree(toc_to_entries(ctx.toc), ctx.rules)
        return Candidate(self.name, axes, objectives, [], self.detect(ctx))


STRATEGIES = (Numbered(), Thematic(), HeadingGroups(), Enumerated(), Prose(), TableOfContents())


def _garbled(title: str) -> bool:
    """Letters of curved or rotated text read one by one ("u x M o i n e s e a Îl"): not a title."""
    tokens = title.split()
    return len(tokens) >= 4 and sum(len(t) == 1 for t in tokens) > 0.5 * len(tokens)


def _weak(actions: list[Node]) -> bool:
    return not actions or all(a.number is None and a.block.kind == "bullet" for a in actions)


def context_to_candidates(ctx: Context) -> tuple[list[Node], list[Node], list[Node], list[str]]:
    """The axes of the first strategy, in the settings' order, that finds some with enough evidence; the actions of
    the numbered strategy (fiches, grids, numbered items), else of bold headings with bullets, else announced."""
    settings = _settings()
    by_name = {s.name: s for s in STRATEGIES}
    cands: dict[str, Candidate] = {}

    def cand(name: str) -> Candidate:
        if name not in cands:
            cands[name] = by_name[name].segment(ctx)  # type: ignore[attr-defined]
        return cands[name]

    numbered = cand("numbered")
    source: Candidate | None = None
    for rule in settings.axes_from:
        c = cand(rule.strategy)
        if c.axes and c.evidence.score >= rule.min_score:
            source = c
            break
    axes = source.axes if source else []
    objectives = list(source.objectives) if source else []
    actions = list(numbered.actions)
    if source is numbered:
        objectives = list(numbered.objectives)
    elif source is not None and source.strategy == "thematic":
        actions = [*source.actions, *numbered.actions]
    elif source is not None and source.strategy in {"heading_groups", "enumeration"} and _weak(actions):
        actions = source.actions or actions
    if _weak(actions) and (source is None or source.strategy != "heading_groups"):
        known = axes if source is not None and (source.strategy in {"numbered", "thematic"} or (
            source.strategy == "enumeration" and all(a.block.kind == "text" for a in axes))) else []
        groups = HeadingGroups().segment(ctx, known)
        if groups.actions:
            if known:
                objectives, actions = [*objectives, *groups.objectives], groups.actions
            elif source is None or source.strategy not in {"enumeration", "prose", "toc"}:
                axes, objectives, actions = groups.axes, groups.objectives, groups.actions
                source = groups
    if not actions:
        actions = enumerations_to_actions(ctx.enumerations)
    axes = [a for a in axes if not _garbled(a.title)]
    axis_blocks = {id(a.block) for a in axes}
    actions = [a for a in actions if id(a.block) not in axis_blocks]  # an item read as an axis is not an action
    numbers = {a.number for a in axes}
    titles = {o.title for o in objectives}
    for node in [*objectives, *actions]:
        if node.axis not in numbers:
            node.axis = None
    for action in actions:
        if action.objective not in titles:
            action.objective = None
    reasons = [f"axes: {source.strategy} ({'; '.join(source.evidence.reasons)})"] if source else ["axes: none"]
    return axes, objectives, actions, reasons
