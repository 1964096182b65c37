"""The contract tree that segmentation builds: axes > objectives > actions, with the document's metadata.

Shared by the strategies (pipeline/strategies.py) and the orchestration (pipeline/segment.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pipeline.blocks import TRAILING
from pipeline.model import Block
from pipeline.rules import fold, structure_rules
from pipeline.sheets import Sheet


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


@dataclass(frozen=True)
class SectionNote:
    """A section of the document's outline with its role, for the reviewer (pipeline/outline.py)."""

    title: str
    level: float
    role: str
    evidence: str
    first_page: int
    last_page: int


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
    sections: list[SectionNote] = field(default_factory=list)
    strategy: list[str] = field(default_factory=list)  # which strategy gave what, and why


class NotACLS(ValueError):
    pass


def clean_title(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^[•\-–—*·▪■►➢➜▼▶▸\s]+", "", text)
    for suffix in structure_rules().patterns("title_suffix"):
        text = suffix.sub("", text)
    text = TRAILING.sub("", text)
    quoted = re.fullmatch(r"[«“\"]\s*(.+?)\s*[»”\"]?", text)  # a title printed in quotes: « Développement … »
    if quoted and not re.search(r"[«“»”]", quoted.group(1)):
        text = TRAILING.sub("", quoted.group(1))
    return text


def soft_key(text: str) -> str:
    """Case, accents, punctuation and spacing ignored: to recognise the same title printed twice."""
    return re.sub(r"[\W_]+", "", fold(text))



def first_match(patterns: list[re.Pattern[str]], text: str) -> re.Match[str] | None:
    for p in patterns:
        m = p.search(text)
        if m:
            return m
    return None



def merge_duplicates(actions: list[Node]) -> list[Node]:
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



def dedupe_objectives(objectives: list[Node]) -> list[Node]:
    seen: set[tuple[str | None, str]] = set()
    out = []
    for o in objectives:
        key = (o.axis, o.title)
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out
