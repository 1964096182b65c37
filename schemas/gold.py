"""Reviewed gold (`fixtures/<slug>/gold.yaml`): the truth extraction is measured against."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Gold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoldContract(_Gold):
    document_kind: Literal["contract", "overview"]
    territory: str | None
    period_start: int | None = None
    period_end: int | None = None
    signed_on: date | None = None
    declared_axes: int | None = None
    declared_actions: int | None = None


class GoldAxis(_Gold):
    number: str | None
    title: str = Field(min_length=1)
    page: int | None = None
    themes: list[str] | None = None  # theme codes (pipeline/rules/themes.yaml); None = not annotated


class GoldObjective(GoldAxis):
    axis: str | None


class GoldStep(_Gold):
    """A step / operation / stage inside one fiche ("Etape 2 : …", "Opération 1 : …"): part of its action."""

    title: str = Field(min_length=1)
    years: list[int] = Field(default_factory=list)


class GoldSheet(_Gold):
    """The fields of an action's "fiche action" table, as printed (see docs/gold-conventions.md)."""

    pilot: str | None = None
    partners: list[str] = Field(default_factory=list)
    publics: list[str] = Field(default_factory=list)
    schedule: str | None = None
    indicators: list[str] = Field(default_factory=list)
    steps: list[GoldStep] | None = None  # None = not annotated (not scored); [] = the fiche has no steps


class GoldAction(GoldAxis):
    axis: str | None
    objective: str | None
    years: list[int] = Field(default_factory=list)
    sheet: GoldSheet | None = None  # only for actions the document describes in a fiche-action table
    publics: list[str] | None = None  # labels of pipeline/rules/publics.yaml; None = not annotated
    partners: list[str] | None = None  # canonical names (pipeline/rules/partners.yaml) or as printed


def _vocabulary() -> tuple[set[str], set[str]]:
    """Theme codes and public labels allowed in gold (the rule files are the vocabulary)."""
    rules = Path(__file__).resolve().parent.parent / "pipeline" / "rules"
    with (rules / "themes.yaml").open(encoding="utf-8") as fh:
        themes = {t["code"] for t in yaml.safe_load(fh)["themes"]}
    with (rules / "publics.yaml").open(encoding="utf-8") as fh:
        publics = {p["label"] for p in yaml.safe_load(fh)["publics"]}
    return themes, publics


class Gold(_Gold):
    contract: GoldContract
    axes: list[GoldAxis] = Field(default_factory=list)
    objectives: list[GoldObjective] = Field(default_factory=list)
    actions: list[GoldAction] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Gold:
        numbers = {a.number for a in self.axes}
        titles = {o.title for o in self.objectives}
        items: list[GoldObjective | GoldAction] = [*self.objectives, *self.actions]
        for item in items:
            if item.axis is not None and item.axis not in numbers:
                raise ValueError(f"gold item {item.title!r} refers to unknown axis {item.axis!r}")
        for action in self.actions:
            if action.objective is not None and action.objective not in titles:
                raise ValueError(f"gold action {action.title!r} refers to unknown objective {action.objective!r}")
        themes, publics = _vocabulary()
        tagged: list[GoldAxis] = [*self.axes, *self.actions]
        for tagged_item in tagged:
            unknown = set(tagged_item.themes or ()) - themes
            if unknown:
                raise ValueError(f"gold item {tagged_item.title!r}: unknown theme codes {sorted(unknown)}")
        for action in self.actions:
            unknown = set(action.publics or ()) - publics
            if unknown:
                raise ValueError(f"gold action {action.title!r}: unknown public labels {sorted(unknown)}")
        return self

    @classmethod
    def from_file(cls, path: Path) -> Gold:
        with path.open(encoding="utf-8") as fh:
            return cls.model_validate(yaml.safe_load(fh))


def review_status(fixture: Path) -> str:
    """'reviewed' when the fixture's provenance.yaml names a reviewer and a date (and is not marked machine),
    else 'machine' (gold not yet checked by a person)."""
    provenance = fixture / "provenance.yaml"
    if not provenance.exists():
        return "machine"
    with provenance.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if data.get("review_status") == "machine":
        return "machine"
    return "reviewed" if data.get("reviewer") and data.get("reviewed_on") else "machine"
