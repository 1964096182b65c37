"""Blocks in reading order -> contract tree (axes > objectives > actions, years, metadata).

  1. an outline (pipeline/outline.py): headings, sections, and the role of each section; axes are read only
     where the role allows them, actions only where it allows actions (never in a diagnostic, a governance
     chapter, a table of contents or a sidebar);
  2. fiches by their fields (pipeline/fiches.py), enumerations announced by the document with its own counts
     (pipeline/enumerations.py);
  3. the strategies (pipeline/strategies.py) segment the document each in their way, and a policy
     (rules/strategies.yaml) picks the axes of the best-evidenced one and the actions;
  4. the metadata (pipeline/metadata.py): period, signing date, declared counts, territory.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.enumerations import axis_column, blocks_to_enumerations
from pipeline.fiches import Fiche, blocks_to_entries, entries_to_fiches
from pipeline.metadata import (
    document_texts,
    normalise_territory,
    period_until,
    text_to_declared,
    text_to_period,
    text_to_signed_on,
    text_to_territory,
)
from pipeline.model import Block, Document
from pipeline.outline import Outline, document_to_outline
from pipeline.rules import structure_rules
from pipeline.rules.segmentation import strategy_settings
from pipeline.strategies import Context, context_to_candidates
from pipeline.tree import (
    Node,
    NotACLS,
    SectionNote,
    Tree,
    clean_title,
    dedupe_objectives,
    first_match,
    soft_key,
)

__all__ = ["Node", "NotACLS", "Tree", "clean_title", "document_to_context", "document_to_tree", "normalise_territory",
           "soft_key", "text_to_declared", "text_to_period", "text_to_signed_on", "text_to_territory"]


def _restricted(doc: Document, keep: set[int]) -> Document:
    return replace(doc, blocks=tuple(b for i, b in enumerate(doc.blocks) if i in keep))


def _renumbered(fiche: Fiche, renumber: dict[int, int]) -> Fiche:
    return replace(fiche, indices={renumber[i] for i in fiche.indices if i in renumber},
                   first_index=renumber.get(fiche.first_index, -1))


def outline_to_notes(outline: Outline) -> list[SectionNote]:
    return [SectionNote(s.title, s.level, s.role, s.evidence, s.first_page, s.last_page)
            for s in outline.sections if s.title or s.end > s.start]


FRAME_MAX_CELLS = 4  # a "table" of at most this many filled cells is a frame drawn around content


def _expanded(doc: Document) -> Document:
    """Layout tables (a slide's frame, a page drawn as one cell) read as their cells' blocks, for enumerations."""
    from pipeline.fiches import table_kind

    blocks: list[Block] = []
    for b in doc.blocks:
        if (b.table is not None and table_kind(b.table) == "layout" and axis_column(b) is None
                and sum(1 for c in b.table.cells if c.text) <= FRAME_MAX_CELLS):
            blocks.extend(x for c in sorted(b.table.cells, key=lambda c: (c.row, c.col)) for x in c.blocks)
        else:
            blocks.append(b)
    return replace(doc, blocks=tuple(blocks))


def _period_of_plan(start: int | None, end: int | None, actions: list[Node]) -> tuple[int | None, int | None]:
    """A range that ends before every year the plan schedules is an earlier contract's ("CLS 2014-2018 : …" in a
    2019-2023 plan): the contract's period is then the span of its actions' years."""
    years = sorted({y for a in actions for y in a.years})
    if years and end is not None and end < years[0] and years[-1] - years[0] <= 10:
        return years[0], years[-1]
    return start, end


def _texts_outside(doc: Document, outline: Outline, roles: set[str]) -> list[str]:
    """The document's texts but those of sections with these roles (a sidebar names other territories)."""
    keep = {i for i in range(len(doc.blocks)) if outline.role_of(i) not in roles}
    return document_texts(_restricted(doc, keep))


def document_to_context(doc: Document, outline: Outline | None = None, declared_axes: int | None = None) -> Context:
    """What the strategies read: the outline says where axes and actions may be read, fiches are assembled from
    the blocks where actions may be, enumerations are read where axes may be (layout frames opened)."""
    outline = outline if outline is not None else document_to_outline(doc)
    axis_ok = {i for i in range(len(doc.blocks)) if outline.allows(i, "axes")}
    action_ok = {i for i in axis_ok if outline.allows(i, "actions")}
    group_roles = set(strategy_settings().heading_group_action_roles)
    fiches = entries_to_fiches(blocks_to_entries(doc, usable=action_ok), strategy_settings().fiche_min_fields)
    renumber = {old: new for new, old in enumerate(sorted(axis_ok))}
    axis_doc = _restricted(doc, axis_ok)
    return Context(
        axis_doc=axis_doc, action_doc=_restricted(doc, action_ok), action_ok={renumber[i] for i in action_ok},
        group_action_ok={k for k, i in enumerate(sorted(action_ok)) if outline.role_of(i) in group_roles},
        fiches=[_renumbered(f, renumber) for f in fiches],
        enumerations=blocks_to_enumerations(list(_expanded(axis_doc).blocks)),
        toc=[b for i, b in enumerate(doc.blocks) if i in outline.toc or outline.role_of(i) == "toc"],
        declared_axes=declared_axes, rules=structure_rules())


def document_to_tree(doc: Document) -> Tree:
    rules = structure_rules()
    texts = document_texts(doc)
    joined = "\n".join(texts)
    if not first_match(rules.patterns("is_cls"), joined):
        raise NotACLS("no mention of a contrat local de santé")

    outline = document_to_outline(doc)
    declared_axes = text_to_declared(texts, rules, "declared_axes")
    axes, objectives, actions, reasons = context_to_candidates(document_to_context(doc, outline, declared_axes))

    overview = not axes and not actions and first_match(rules.patterns("overview"), joined) is not None
    warnings: list[tuple[str, str]] = []
    declared_actions = text_to_declared(texts, rules, "declared_actions")
    notes = outline_to_notes(outline)
    if overview:
        return Tree("overview", None, None, None, None, None, None, [], [], [], warnings, notes, reasons)
    start, end = text_to_period(texts, rules)
    signed = text_to_signed_on(texts, rules)
    if start is None:
        start, end = period_until(texts, signed, rules)
    start, end = _period_of_plan(start, end, actions)
    if start is not None:
        signed = text_to_signed_on(texts, rules, (start, end))
    if declared_axes is not None and declared_axes != len(axes):
        warnings.append(("DECLARED_AXES_MISMATCH",
                         f"the document declares {declared_axes} axes, {len(axes)} were found"))
    if declared_actions is not None and declared_actions != len(actions):
        warnings.append(("DECLARED_ACTIONS_MISMATCH",
                         f"the document declares {declared_actions} actions, {len(actions)} were found"))
    territory = text_to_territory(_texts_outside(doc, outline, {"aside"}), rules)
    if territory is None:
        warnings.append(("TERRITORY_NOT_FOUND", "no contracting territory could be read"))
    return Tree("contract", territory, start, end, signed, declared_axes,
                declared_actions, axes, dedupe_objectives(objectives), actions, warnings, notes, reasons)
