"""Reviewed gold -> the warehouse: the gold's items replace the machine's for that document, keeping the
machine's provenance (sha256, pages, boxes of the items whose titles match) and carrying origin 'reviewed'."""

from __future__ import annotations

import difflib

from pipeline.evaluate import soft_form
from schemas.extraction import Action, ActionSheet, Axis, ContractExtraction, Objective, ThemeTag
from schemas.gold import Gold


def _box_of(title: str, items: list[Axis] | list[Objective] | list[Action]) -> tuple[int | None, object]:
    """Page and box of the machine item with the same (or nearly the same) title, if any."""
    key = soft_form(title)
    best, ratio = None, 0.0
    for item in items:
        r = difflib.SequenceMatcher(None, key, soft_form(item.title)).ratio()
        if r > ratio:
            best, ratio = item, r
    return (best.page, best.bbox) if best is not None and ratio >= 0.8 else (None, None)


def _tags(codes: list[str] | None, reviewer: str) -> list[ThemeTag]:
    return [ThemeTag(code=c, evidence=f"reviewed by {reviewer}") for c in codes or []]


def gold_to_extraction(gold: Gold, machine: ContractExtraction, reviewer: str) -> ContractExtraction:
    axes = []
    for a in gold.axes:
        page, box = _box_of(a.title, machine.axes)
        axes.append(Axis(number=a.number, title=a.title, page=a.page or page, bbox=box,  # type: ignore[arg-type]
                         themes=_tags(a.themes, reviewer)))
    objectives = []
    for o in gold.objectives:
        page, box = _box_of(o.title, machine.objectives)
        objectives.append(Objective(number=o.number, title=o.title, axis=o.axis, page=o.page or page,
                                    bbox=box))  # type: ignore[arg-type]
    actions = []
    for x in gold.actions:
        page, box = _box_of(x.title, machine.actions)
        actions.append(Action(number=x.number, title=x.title, axis=x.axis, objective=x.objective,
                              page=x.page or page, bbox=box, years=list(x.years),  # type: ignore[arg-type]
                              themes=_tags(x.themes, reviewer), publics=list(x.publics or []),
                              partners=list(x.partners or []),
                              sheet=None if x.sheet is None else ActionSheet(**x.sheet.model_dump())))
    c = gold.contract
    contract = machine.contract.model_copy(update={
        "document_kind": c.document_kind, "territory": c.territory, "period_start": c.period_start,
        "period_end": c.period_end, "signed_on": c.signed_on, "declared_axes": c.declared_axes,
        "declared_actions": c.declared_actions})
    updated = machine.model_copy(update={"contract": contract, "axes": axes, "objectives": objectives,
                                         "actions": actions})
    return ContractExtraction.model_validate(updated.model_dump())  # references checked again
