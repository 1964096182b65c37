"""Typed rule files of segmentation: outline.yaml (headings, roles) and strategies.yaml (which strategy applies,
with every threshold). Each file is validated by a pydantic model when first loaded: a typo or a bad value is
refused with the file, the key and the reason (RuleFileError, pipeline/rules/models.py), never met as a KeyError
during extraction.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.rules.models import RuleFileError, validate_rules

RULES_DIR = Path(__file__).parent

Allow = Literal["axes", "actions"]


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compile(patterns: list[str]) -> list[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {p!r} ({exc})") from exc
    return patterns


class HeadingRules(_Rules):
    max_chars: int = Field(150, gt=0)
    max_words: int = Field(24, gt=0)
    size_ratio: float = Field(1.12, gt=1.0)
    caps_min_letters: int = Field(4, ge=1)
    ends_sentence: str
    question: str = r"\?$"
    question_max_words: int = Field(8, ge=1)

    _c = field_validator("ends_sentence", "question")(lambda v: _compile([v])[0])


class TocRules(_Rules):
    entry: str
    min_entries: int = Field(3, ge=1)

    _c = field_validator("entry")(lambda v: _compile([v])[0])


class RoleRule(_Rules):
    heading: list[str]
    allows: list[Allow]
    unless: list[str] = Field(default_factory=list)  # a heading that also says this is not of the role

    _c = field_validator("heading", "unless")(lambda v: _compile(v))


class FigureRules(_Rules):
    pattern: str
    min_blocks: int = Field(4, ge=1)
    min_share: float = Field(0.6, gt=0, le=1)

    _c = field_validator("pattern")(lambda v: _compile([v])[0])


class OutlineRules(_Rules):
    version: str
    heading: HeadingRules
    toc: TocRules
    roles: dict[str, RoleRule]
    default_role: str
    default_allows: list[Allow]
    structural_role: str
    closed_by_any_heading: list[str] = Field(default_factory=list)
    continued_by_siblings: list[str] = Field(default_factory=list)
    aside_max_chars: int = Field(250, gt=0)
    figures: FigureRules

    def allows(self, role: str) -> frozenset[str]:
        if role in self.roles:
            return frozenset(self.roles[role].allows)
        return frozenset(self.default_allows)


class AxisNouns(_Rules):
    strong: list[str]
    weak: list[str] = Field(default_factory=list)

    _c = field_validator("strong", "weak")(lambda v: _compile(v))


class EnumerationRules(_Rules):
    version: str
    axis_nouns: AxisNouns
    action_nouns: list[str]
    count_adjectives: str
    max_tail_chars: int = Field(70, gt=0)
    vague_counts: str
    distractor: str
    item_max_chars: int = Field(220, gt=0)
    decoration: str
    ordinals: str
    additive: str

    _c = field_validator("action_nouns")(lambda v: _compile(v))
    _p = field_validator("count_adjectives", "vague_counts", "distractor", "decoration", "ordinals", "additive")(
        lambda v: _compile([v])[0])


class HeadingSettings(_Rules):
    max_chars: int = Field(160, gt=0)
    size_ratio: float = Field(1.15, gt=1.0)
    html_max_level: int = Field(4, ge=1, le=6)


StrategyName = Literal["numbered", "thematic", "heading_groups", "enumeration", "prose", "toc"]


class AxesSource(_Rules):
    strategy: StrategyName
    min_score: float = Field(0.0, ge=0.0, le=1.0)


class StrategySettings(_Rules):
    """Which strategy applies, and every threshold (pipeline/strategies.py); the model of rules/strategies.yaml."""

    version: str
    heading: HeadingSettings
    kind_heading_max_chars: int = Field(90, gt=0)
    year_label_max_chars: int = Field(30, gt=0)
    label_title_max_chars: int = Field(200, gt=0)
    thematic_head_size_ratio: float = Field(1.3, gt=1.0)
    fiche_min_fields: int = Field(2, ge=1)
    axes_from: list[AxesSource] = Field(min_length=1)
    heading_group_action_roles: list[str]


M = TypeVar("M", bound=BaseModel)


def load_rule_file(name: str, model: type[M], directory: Path | None = None) -> M:
    """A rule file parsed and validated; RuleFileError names the file, the key and the reason."""
    import pipeline.rules

    path = (directory or pipeline.rules.RULES_DIR) / name
    try:
        raw: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(f"{path}: cannot read rule file: {exc}") from exc
    return validate_rules(model, raw, path)  # type: ignore[no-any-return]


@cache
def outline_rules() -> OutlineRules:
    return load_rule_file("outline.yaml", OutlineRules)


@cache
def enumeration_rules() -> EnumerationRules:
    return load_rule_file("enumerations.yaml", EnumerationRules)


@cache
def strategy_settings() -> StrategySettings:
    return load_rule_file("strategies.yaml", StrategySettings)
