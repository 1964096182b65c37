"""Blocks in reading order -> an outline: headings found by typography and numbering, sections, and the role of
each section (what the document uses it for), with the evidence for that role.

  blocks_to_toc        table-of-contents entries (text, dot leaders, page number): never headings, never items
  block_to_style       is a block a heading, and of which typographic style (size, weight, case, HTML level)
  styles_to_levels     heading levels: larger / capitalised / bolder styles rank higher; structural headings
                       ("Axe 2", "Objectif 1.1", "Fiche action n°3") of one kind share one level
  document_to_outline  sections (a heading and what follows until a heading of the same or a higher level) with
                       their page span and role: toc, preamble, context, diagnostic, overview, plan, governance,
                       signatures, annex, aside, ... (rules/outline.yaml), from the heading's words, else from the
                       content (a section that mostly states figures is a diagnostic), else the parent's role

The roles say what may be read where (`Outline.allows`): actions come only from sections that allow them, so the
findings of a diagnostic, the bodies of a governance chapter or the entries of a table of contents never become
actions, wherever they stand and however they are printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pipeline.model import Block, Document
from pipeline.rules import fold, structure_rules
from pipeline.rules.segmentation import OutlineRules, outline_rules

# Leading numbering of a heading, removed before its words are matched against the role rules.
_NUMBERING = re.compile(
    r"(?i)^(?:(?:partie|chapitre|titre|section|article|annexe(?=\s*\d))\s*(?:n°\s*)?[\dIVXivx]+\s*(?:[:.\-–—)]\s*)?"
    r"|[IVX]{1,4}\s*[.\-–—)]\s*|\d{1,2}(?:\.\d{1,2})*\s*[.\-–—)]?\s+|[A-H]\s*[.)\-–—]\s+)"
)
STRUCTURAL_KINDS = ("axis", "objective", "fiche", "action")


@dataclass(frozen=True)
class Section:
    index: int
    title: str  # the heading's text; "" for the front matter before the first heading
    level: float  # 0 for the front matter; 1 = top level
    heading: int | None  # block index of the heading
    start: int  # first block index (the heading's)
    end: int  # one past the last block index, sub-sections included
    parent: int | None
    role: str
    evidence: str
    first_page: int
    last_page: int


@dataclass(frozen=True)
class Outline:
    sections: tuple[Section, ...]
    block_section: tuple[int, ...]  # innermost section of each block
    toc: frozenset[int]  # block indices of table-of-contents entries
    headings: frozenset[int]  # block indices of headings
    rules: OutlineRules

    def role_of(self, block_index: int) -> str:
        return self.sections[self.block_section[block_index]].role

    def allows(self, block_index: int, what: str) -> bool:
        """May a block at this index be read as an axis ('axes') or an action ('actions')?"""
        if block_index in self.toc:
            return False
        return what in self.rules.allows(self.role_of(block_index))

    def kept(self, doc: Document, what: str) -> Document:
        """The document restricted to the blocks where `what` may be read."""
        from dataclasses import replace

        return replace(doc, blocks=tuple(b for i, b in enumerate(doc.blocks) if self.allows(i, what)))


# ---------------------------------------------------------------- table of contents
def blocks_to_toc(blocks: tuple[Block, ...], rules: OutlineRules) -> set[int]:
    """Indices of table-of-contents entries: on a page with enough 'title ....... 12' entries."""
    entry = re.compile(rules.toc.entry)
    per_page: dict[int, list[int]] = {}
    counts: dict[int, int] = {}
    for i, b in enumerate(blocks):
        if b.kind == "table":
            continue
        n = len(entry.findall(b.text))
        if n:
            per_page.setdefault(b.page, []).append(i)
            counts[b.page] = counts.get(b.page, 0) + n
    return {i for page, idxs in per_page.items() if counts[page] >= rules.toc.min_entries for i in idxs}


# ---------------------------------------------------------------- headings
def _letters(text: str) -> list[str]:
    return [c for c in text if c.isalpha()]


def is_caps(text: str, min_letters: int) -> bool:
    letters = _letters(text)
    return len(letters) >= min_letters and sum(c.isupper() for c in letters) >= 0.85 * len(letters)


@cache
def _structural() -> dict[str, list[re.Pattern[str]]]:
    r = structure_rules()
    return {"axis": r.patterns("axis") + r.patterns("axis_reference"),
            "objective": r.patterns("objective") + r.patterns("objective_reference"),
            "fiche": r.patterns("fiche_heading") + r.patterns("fiche_code"),
            "action": r.patterns("action")}


def structural_kind(text: str) -> str | None:
    """'axis' / 'objective' / 'fiche' / 'action' for a numbered structural heading, else None."""
    text = text.strip()
    for kind in STRUCTURAL_KINDS:
        if any(p.search(text) for p in _structural()[kind]):
            return kind
    return None


Style = tuple[float, bool, bool, int]  # (size, bold, caps, html level or 9)


def block_to_style(block: Block, body_size: float, rules: OutlineRules) -> Style | None:
    """The block's heading style, or None when it is not a heading."""
    if block.kind != "text" or block.table is not None:
        return None
    text = block.text.strip()
    h = rules.heading
    if not text or len(text) > h.max_chars or len(text.split()) > h.max_words or not _letters(text):
        return None
    caps = is_caps(text, h.caps_min_letters)
    larger = block.size >= h.size_ratio * body_size
    emphasised = block.level is not None or block.bold or larger or caps
    if not emphasised:
        return None
    numbered = structural_kind(text) is not None or _NUMBERING.match(text) is not None
    question = re.search(h.question, text) is not None and len(text.split()) <= h.question_max_words \
        and (larger or caps)
    if re.search(h.ends_sentence, text) and not numbered and block.level is None and not question:
        return None
    return (round(block.size * 2) / 2, block.bold, caps, block.level or 9)


def styles_to_levels(styles: list[Style]) -> dict[Style, int]:
    """Rank of each style: HTML level first, then size (larger first), capitals, weight."""
    ordered = sorted(set(styles), key=lambda s: (s[3], -s[0], not s[2], not s[1]))
    return {s: k + 1 for k, s in enumerate(ordered)}


def heading_role(title: str, rules: OutlineRules | None = None) -> str | None:
    """The role a heading's words name, if any ("Le plan d'actions" -> plan)."""
    found = _heading_role(title, rules or outline_rules())
    return found[0] if found else None


def _heading_role(title: str, rules: OutlineRules) -> tuple[str, str] | None:
    words = fold(_NUMBERING.sub("", title.strip(), count=1)).replace("’", "'")
    words = re.sub(r"^[\s\-–—•:]+", "", words)
    for role, rule in rules.roles.items():
        if any(re.search(u, words) for u in rule.unless):
            continue
        for p in rule.heading:
            if re.search(p, words):
                return role, f"heading {title.strip()[:60]!r} names a {role} section"
    return None


def document_to_outline(doc: Document, rules: OutlineRules | None = None) -> Outline:
    rules = rules or outline_rules()
    blocks = doc.blocks
    toc = blocks_to_toc(blocks, rules)
    styled: dict[int, Style] = {}
    kinds: dict[int, str] = {}
    for i, b in enumerate(blocks):
        if i in toc:
            continue
        style = block_to_style(b, doc.body_size, rules)
        if style is not None:
            styled[i] = style
            kind = structural_kind(b.text)
            if kind is not None:
                kinds[i] = kind
    level_of_style = styles_to_levels(list(styled.values()))
    levels: dict[int, float] = {i: float(level_of_style[s]) for i, s in styled.items()}
    # structural headings of one kind share a level, each kind below the previous one
    floor = 0.0
    for kind in STRUCTURAL_KINDS:
        members = [i for i, k in kinds.items() if k == kind]
        if not members:
            continue
        level = max(min(levels[i] for i in members), floor + 0.5)
        for i in members:
            levels[i] = level
        floor = level

    # a bare structural label ("AXE 3", "OBJECTIF 1.1") over its title: one heading, the title is not another
    merged = {i + 1 for i in levels if i + 1 in levels and i + 1 not in kinds and _bare_label(blocks[i].text)}
    bounds = [(i, levels[i]) for i in sorted(levels) if i not in merged]

    # pass 1: sections on a stack; a section ends at the next heading of the same or a higher level; an aside
    # (a sidebar, a "Zoom sur…" box) at the next heading of any level; a section whose role allows no actions
    # at the next structural heading (the plan has started).
    open_: list[dict[str, Any]] = []
    raw: list[dict[str, Any]] = [{"title": "", "level": 0.0, "heading": None, "start": 0, "end": len(blocks),
                                    "parent": None, "role": rules.default_role, "evidence": "front matter",
                                    "own": False}]

    def close(k: int, at: int) -> None:
        sec = raw[k]
        sec["end"] = min(int(sec["end"]), at)

    def box_end(i: int) -> int:
        """A box or sidebar ends where the blocks leave its column or its page, or at a paragraph longer than a
        sidebar's items (the article goes on)."""
        head = blocks[i]
        for j in range(i + 1, len(blocks)):
            b = blocks[j]
            if b.kind in {"text", "bullet"} and len(b.text) > rules.aside_max_chars:
                return j
            if head.box is not None and (b.page != head.page or (b.box is not None and b.box.x_overlap(head.box) <= 0)):
                return j
        return len(blocks)

    for i, level in bounds:
        structural = i in kinds
        title = blocks[i].text.strip()
        floating = not structural and (_heading_role(title, rules) or ("", ""))[0] in rules.closed_by_any_heading
        while open_:
            top = open_[-1]
            k = int(top["k"])
            sec = raw[k]
            role = str(sec["role"])
            if ((float(sec["level"]) >= level and not floating)
                    or role in rules.closed_by_any_heading
                    or (structural and "actions" not in rules.allows(role))):
                close(k, i)
                open_.pop()
                continue
            break
        parent = int(open_[-1]["k"]) if open_ else 0
        if i + 1 in merged:
            title = f"{title} {blocks[i + 1].text.strip()}"
        found: tuple[str, str] | None = None
        if structural:
            found = (rules.structural_role, f"structural heading ({kinds[i]})")
        else:
            found = _heading_role(title, rules)
        if found is None:
            found = (str(raw[parent]["role"]), "")
        end = box_end(i) if found[0] in rules.closed_by_any_heading else len(blocks)
        raw.append({"title": title, "level": level, "heading": i, "start": i, "end": end,
                    "parent": parent, "role": found[0], "evidence": found[1], "own": bool(found[1])})
        open_.append({"k": len(raw) - 1})
    if len(raw) > 1:
        raw[0]["end"] = int(raw[1]["start"])

    block_section = [0] * len(blocks)
    for k, sec in enumerate(raw):
        for j in range(int(sec["start"]), int(sec["end"])):
            block_section[j] = k  # inner sections come after their parents and overwrite them
    # a section that closed early leaves its remaining blocks to the closest open ancestor
    # (already so: those blocks keep the enclosing section written before it)

    # pass 2: roles from content where the heading names none, then inheritance top-down
    figures = re.compile(rules.figures.pattern)
    sections: list[Section] = []
    for k, sec in enumerate(raw):
        role, evidence = str(sec["role"]), str(sec["evidence"])
        if k and not sec["own"]:
            own = [blocks[j] for j in range(int(sec["start"]) + 1, int(sec["end"]))
                   if block_section[j] == k and blocks[j].kind in {"text", "bullet"}]
            with_figures = sum(1 for b in own if figures.search(fold(b.text)))
            if len(own) >= rules.figures.min_blocks and with_figures >= rules.figures.min_share * len(own):
                role, evidence = "diagnostic", f"{with_figures} of its {len(own)} blocks state figures"
            else:
                parent_section = sections[int(sec["parent"])]
                role = parent_section.role
                evidence = f"inside {parent_section.title[:60]!r}" if parent_section.title else parent_section.evidence
                # "Le plan d'actions" followed by its parts as headings that are not its children (a web page's
                # h2s, a small capitals kicker above larger axis titles): outside any named part, the plan goes on
                named = next((x for x in reversed(sections) if x.index and raw[x.index]["own"]), None)
                if role == rules.default_role and named is not None and named.role in rules.continued_by_siblings:
                    role, evidence = named.role, f"after {named.title[:60]!r}"
        start, end = int(sec["start"]), int(sec["end"])
        first = blocks[start].page if blocks and start < len(blocks) else 1
        last = blocks[max(end - 1, start)].page if blocks and start < len(blocks) else first
        sections.append(Section(k, str(sec["title"]), float(sec["level"]), sec["heading"],
                                start, end, sec["parent"], role, evidence, first, last))
    return Outline(tuple(sections), tuple(block_section), frozenset(toc), frozenset(styled), rules)


def _bare_label(text: str) -> bool:
    r = structure_rules()
    text = text.strip()
    return any(p.search(text) for key in ("axis_reference", "objective_reference", "fiche_heading")
               for p in r.patterns(key))
