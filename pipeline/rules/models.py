"""Pydantic models of the rule files (pipeline/rules/*.yaml, departements.csv): a rule file is read once, checked
whole, and a mistake is refused at start with the file, the key and the reason (`RuleFileError`), instead of a
KeyError in the middle of an extraction.

    structure.yaml  StructureFile   segmentation patterns (regular expressions compiled here), word lists
    tables.yaml     TablesFile      fiche field labels, year tick
    partners.yaml   PartnersFile    partner organisations
    publics.yaml    PublicsFile     target publics
    themes.yaml     ThemesFile      theme taxonomy, ARS socle
    enrich.yaml     EnrichFile      territory kinds, generations, indicators, governance, contacts
    ocr.yaml        OcrFile         page triage thresholds, OCR settings
    departements.csv DepartementRow

Models forbid unknown keys (a misspelt key is an error), except structure.yaml, whose extra keys are accepted
when they are patterns or word lists (the segmentation rules grow with new layouts): its known keys are
required, so a misspelt known key is still refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator


class RuleFileError(ValueError):
    """A rule file that cannot be used: '<file>: <key>: <reason>' on one line."""


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    return pattern


Regex = Annotated[str, AfterValidator(_compiles)]
Patterns = Regex | list[Regex]  # one pattern or several (structure.yaml writes both)


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- structure.yaml ------------------------------------------------------------------------------------------

class StructureFile(_Rules):
    model_config = ConfigDict(extra="allow", frozen=True)

    version: str
    axis: Patterns
    axis_reference: Patterns
    objective_reference: Patterns
    objective: Patterns
    fiche_heading: Patterns
    action: Patterns
    numbered_item: Patterns
    year_group: Patterns
    actions_heading: Patterns
    title_suffix: Patterns
    not_actions_heading: Patterns
    objectives_heading: Patterns
    axes_list_heading: Patterns
    declared_axes: Patterns
    declared_actions: Patterns
    number_words: dict[str, int]
    period_range: Patterns
    period_context: Patterns
    period_duration: Patterns
    period_end_after_years: Patterns
    signed_on: Patterns
    months: dict[str, int]
    territory: Patterns
    territory_stop_words: list[str]
    territory_not_names: list[str]
    territory_not_first_words: list[str]
    territory_acronyms: list[str]
    overview: Patterns
    is_cls: Patterns
    hyphen_keep_prefixes: list[str]
    prose_axes_colon: Patterns
    prose_axes_announce: Patterns
    prose_ordinals: Patterns
    prose_distractor: Patterns
    year_tag: Patterns

    @model_validator(mode="after")
    def _extra_keys_are_rules(self) -> StructureFile:
        for key, value in (self.model_extra or {}).items():
            items = value if isinstance(value, list) else [value]
            if isinstance(value, dict):
                items = list(value.keys())
            if not items or not all(isinstance(v, str | int | float | bool) for v in items):
                raise ValueError(f"{key}: expected a pattern, a list of patterns or words, or a mapping")
            if not isinstance(value, dict):
                for i, v in enumerate(items):
                    if isinstance(v, str):
                        try:
                            re.compile(v)
                        except re.error as exc:
                            raise ValueError(f"{key}.{i}: not a valid regular expression ({exc})") from None
        return self


# --- tables.yaml ---------------------------------------------------------------------------------------------

class TablesFile(_Rules):
    version: str
    fields: dict[str, list[Regex]] = Field(min_length=1)
    tick: Regex


# --- vocabularies --------------------------------------------------------------------------------------------

class PartnerRule(_Rules):
    name: str = Field(min_length=1)
    acronym: str | None = None
    kind: str
    names: list[str] = Field(default_factory=list)
    acronyms: list[str] = Field(default_factory=list)


class PartnersFile(_Rules):
    version: str
    partners: list[PartnerRule]


class PublicRule(_Rules):
    label: str = Field(min_length=1)
    definition: str | None = None
    patterns: list[str] = Field(min_length=1)


class PublicsFile(_Rules):
    version: str
    not_publics: list[str] = Field(default_factory=list)
    publics: list[PublicRule]


class ThemeRule(_Rules):
    code: str = Field(pattern=r"^[a-z0-9-]+$")
    label: str
    socle: str | None = None
    definition: str | None = None
    patterns: list[Regex] = Field(min_length=1)
    weak: list[Regex] = Field(default_factory=list)
    yields_to: list[str] = Field(default_factory=list)


class ThemesFile(_Rules):
    version: str
    socle: dict[str, str]
    themes: list[ThemeRule]

    @model_validator(mode="after")
    def _references(self) -> ThemesFile:
        codes = {t.code for t in self.themes}
        for i, t in enumerate(self.themes):
            if t.socle is not None and t.socle not in self.socle:
                raise ValueError(f"themes.{i}.socle: {t.socle!r} is not in `socle`")
            unknown = [c for c in t.yields_to if c not in codes]
            if unknown:
                raise ValueError(f"themes.{i}.yields_to: unknown theme codes {unknown}")
        return self


class KindRule(_Rules):
    kind: str
    pattern: Regex


class UnitRule(_Rules):
    unit: str
    pattern: Regex


class GovernanceRule(_Rules):
    name: str
    acronym: str | None = None
    pattern: Regex


class ContactRules(_Rules):
    email: Regex
    phone: Regex
    person: Regex
    coordinator: Regex


class EnrichFile(_Rules):
    version: str
    territory_kinds: list[KindRule]
    generation: list[Regex]
    generation_words: dict[str, int]
    indicator_units: list[UnitRule]
    indicator_not: list[Regex]
    governance: list[GovernanceRule]
    contacts: ContactRules


class DepartementRow(_Rules):
    code: str = Field(pattern=r"^(?:\d{2,3}|2[AB])$")
    name: str = Field(min_length=1)
    region: str = Field(min_length=1)


# --- ocr.yaml ------------------------------------------------------------------------------------------------

class TriageRules(_Rules):
    min_glyphs: int = Field(ge=0)
    min_image_share: float = Field(ge=0, le=1)
    min_outline_edges: int = Field(ge=0)
    max_unmapped_share: float = Field(ge=0, le=1)
    max_private_share: float = Field(ge=0, le=1)
    min_tokens: int = Field(ge=0)
    min_common_share: float = Field(ge=0, le=1)
    vowel_share: tuple[float, float]
    common_words: list[str]


class OcrRules(_Rules):
    dpi: int = Field(ge=50, le=1200)
    languages: str = Field(pattern=r"^[a-z_]+(?:\+[a-z_]+)*$")
    config: str
    min_word_confidence: float = Field(ge=0, le=100)
    deskew_max_degrees: float = Field(ge=0, le=45)
    deskew_step_degrees: float = Field(gt=0)
    bold_stroke_ratio: float = Field(gt=0)
    size_from_ink: bool
    x_height: float = Field(gt=0, le=1)
    cap_height: float = Field(gt=0, le=1)
    size_tolerance: float = Field(ge=0, le=1)
    min_size_pt: float = Field(gt=0)
    dot_size_pt: tuple[float, float]
    line_contrast: int
    line_ink_level: int = Field(ge=0, le=255)
    line_min_length_pt: tuple[float, float]
    line_light_level: int = Field(ge=0, le=255)
    shade_step: int
    line_step: int
    shade_min: int = Field(ge=0, le=255)
    band_dark_level: int = Field(ge=0, le=255)
    bullet_like: list[str]
    polarity_window_pt: float = Field(gt=0)
    polarity_contrast: int = Field(ge=0, le=255)
    badge_size_pt: tuple[float, float]
    badge_config: str
    zone_config: str
    cell_margin_pt: float = Field(ge=0)
    colon_reach: float = Field(gt=0)
    colon_dot_max: float = Field(gt=0, le=1)
    colon_gap_min: float = Field(ge=0, le=1)
    page_timeout_s: float = Field(gt=0)


class OcrFile(_Rules):
    version: str
    triage: TriageRules
    ocr: OcrRules


def _where(loc: tuple[Any, ...]) -> str:
    """'numbered_item.list[function-after[...]].0' -> 'numbered_item.0' (pydantic's union branch tags out)."""
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and "[" in p)) or "(top level)"


def validate_rules(model: type[BaseModel], data: Any, path: Path) -> Any:
    """`data` (read from `path`) as `model`, or RuleFileError naming the file, the key and the reason."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found = exc.errors()
        # A union (one pattern or a list of them) reports each branch: the error with the real reason first.
        first = next((e for e in found if e["type"] == "value_error"), found[0])
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key (misspelt?)"
        elif first["type"] == "missing":
            message = "required key missing"
        places = {_where(e["loc"]) for e in found}
        more = f" (and {len(places) - 1} more)" if len(places) > 1 else ""
        raise RuleFileError(f"{path}: {_where(first['loc'])}: {message}{more}") from None
