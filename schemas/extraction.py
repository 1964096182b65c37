"""The extraction contract: what `clsdata extract --format json` prints and what the warehouse loads.

Stable and documented: any change to field names or meanings bumps SCHEMA_VERSION and is exported to
`schemas/contract_extraction.schema.json` (a test keeps the file in sync with these models).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "1.4"

YEAR_MIN, YEAR_MAX = 1990, 2100


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BBox(_Model):
    """A box on a PDF page, in points, origin at the top-left corner of the page (pdfplumber's convention)."""

    x0: float
    top: float
    x1: float
    bottom: float

    @model_validator(mode="after")
    def _ordered(self) -> BBox:
        if self.x1 < self.x0 or self.bottom < self.top:
            raise ValueError(f"bbox corners out of order: {self}")
        return self


class DocumentInfo(_Model):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file's bytes")
    path: str = Field(description="Path of the file as given to the extractor")
    media_type: Literal["application/pdf", "text/html"]
    pages: int = Field(ge=0, description="Number of pages (1 for an HTML page)")


class ContractInfo(_Model):
    document_kind: Literal["contract", "overview"] = Field(
        description="'contract' for one territory's CLS; 'overview' for a page about CLS in general"
    )
    territory: str | None = Field(description="The contracting territory as named in the document")
    territory_kind: Literal["commune", "EPCI", "agglomération", "métropole", "pays"] | None = Field(
        default=None, description="Kind of collectivity, from the territory's name and the document's words")
    department: str | None = Field(default=None, description="Code of the département (INSEE), e.g. '53'")
    region: str | None = Field(default=None, description="Région of that département")
    generation: int | None = Field(default=None, ge=1, description="Which CLS of the territory (2 = 'CLS 2')")
    period_start: int | None = Field(default=None, ge=YEAR_MIN, le=YEAR_MAX)
    period_end: int | None = Field(default=None, ge=YEAR_MIN, le=YEAR_MAX)
    signed_on: date | None = None
    declared_axes: int | None = Field(default=None, ge=0, description="Axis count the document states")
    declared_actions: int | None = Field(default=None, ge=0, description="Action count the document states")

    @model_validator(mode="after")
    def _period(self) -> ContractInfo:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError(f"period starts after it ends: {self.period_start}-{self.period_end}")
        return self


class _Item(_Model):
    number: str | None = Field(description="Number as printed ('Axe 2' -> '2'); for unnumbered axes, their order")
    title: str = Field(min_length=1, description="Title as printed, without its leading numbering")
    page: int | None = Field(ge=1, description="1-based page where the title starts")
    bbox: BBox | None = Field(description="Box of the title on that page (null for HTML sources)")
    ocr_confidence: float | None = Field(
        default=None, ge=0, le=100,
        description="Read by OCR: mean Tesseract confidence (0-100) of the title's words; null for text-layer items")


class ThemeTag(_Model):
    """A theme of pipeline/rules/themes.yaml with the words that gave it."""

    code: str = Field(description="Theme code, e.g. 'sante-mentale'")
    evidence: str = Field(description="The matched words, prefixed with where they were found")


class Axis(_Item):
    """Top-level strategic heading of the action plan (Axe, Orientation, Enjeu, thematic table title)."""

    themes: list[ThemeTag] = Field(default_factory=list, description="Themes, most specific first")


class Objective(_Item):
    """Level between axis and action (Priorité N, Objectif …)."""

    axis: str | None = Field(description="`number` of the objective's axis")


class ActionStep(_Model):
    """A step of a fiche ("Etape 2 : …", "Opération 1 : …"): part of its action, never an action of its own."""

    title: str = Field(min_length=1, description="The step's title, without 'Etape N :'")
    years: list[int] = Field(default_factory=list, description="Years its own échéance names; [] when none")
    schedule: str | None = Field(default=None, description="Its échéance as printed ('2020 - 2021')")


class ActionSheet(_Model):
    """The fields of the action's "fiche action" (or of its row in an action table), as printed."""

    pilot: str | None = Field(default=None, description="Pilot / porteur of the action")
    partners: list[str] = Field(default_factory=list, description="Partners cell, one item per listed partner")
    publics: list[str] = Field(default_factory=list, description="Target publics cell, one item per public")
    schedule: str | None = Field(default=None, description="Calendar cell as printed ('2025-2027', 'Dès 2025')")
    indicators: list[str] = Field(default_factory=list, description="Evaluation indicators, one item each")
    steps: list[ActionStep] = Field(default_factory=list, description="The fiche's steps / operations, in order")


class Section(_Model):
    """A section of the document's outline and the role it was given, with the evidence (pipeline/outline.py): why
    an item was, or was not, read there."""

    title: str = Field(description="The section's heading as printed; '' for the front matter")
    level: float = Field(ge=0, description="Heading level, 1 = top (0 for the front matter)")
    role: str = Field(description="toc, preamble, context, diagnostic, overview, plan, governance, signatures, "
                                  "annex, aside, body, …: what the document uses the section for")
    evidence: str = Field(description="Why that role: the heading's words, the content, or the enclosing section")
    first_page: int = Field(ge=1)
    last_page: int = Field(ge=1)


class Action(_Item):
    """A leaf item the contract commits to."""

    axis: str | None = Field(description="`number` of the action's axis")
    objective: str | None = Field(description="`title` of the action's objective")
    years: list[int] = Field(description="Years the document schedules the action for; [] when none")
    partners: list[str] = Field(default_factory=list,
                                description="Partners named in the title or fiche (pilots included): canonical "
                                            "name when in pipeline/rules/partners.yaml, else as printed")
    publics: list[str] = Field(default_factory=list,
                               description="Target publics (controlled vocabulary) named in the title or fiche")
    sheet: ActionSheet | None = Field(default=None, description="Fields of the action's fiche; null when it has none")
    themes: list[ThemeTag] = Field(default_factory=list, description="Themes, most specific first")
    pilots: list[str] = Field(default_factory=list, description="Canonical names of the fiche's pilots")

    @model_validator(mode="after")
    def _years(self) -> Action:
        bad = [y for y in self.years if not YEAR_MIN <= y <= YEAR_MAX]
        if bad:
            raise ValueError(f"implausible years {bad} on action {self.title!r}")
        return self


class PartnerMention(_Model):
    name: str = Field(description="Canonical name (e.g. 'Caisse primaire d'assurance maladie')")
    acronym: str | None = None
    mentions: int = Field(ge=1)
    pages: list[int]


class PublicMention(_Model):
    label: str = Field(description="Controlled-vocabulary label of a target public (e.g. 'jeunes')")
    mentions: int = Field(ge=1)
    pages: list[int]


class Indicator(_Model):
    """A figure the document states about its territory ("6 médecins pour 10 000 habitants")."""

    label: str = Field(description="The sentence or line stating the figure, as printed (shortened)")
    value: float
    unit: str = Field(description="'%', 'pour 10 000 habitants', or the counted noun ('médecins')")
    year: int | None = Field(default=None, ge=YEAR_MIN, le=YEAR_MAX, description="Year the figure refers to")
    page: int | None = Field(default=None, ge=1)
    bbox: BBox | None = None


class GovernanceBody(_Model):
    name: str = Field(description="Canonical body: 'Comité de pilotage', 'Comité technique', …")
    acronym: str | None = None
    pages: list[int]


class Contact(_Model):
    """Personal data (names, e-mails, phone numbers): loaded to `contacts`, left out of exports by default."""

    kind: Literal["person", "email", "phone"]
    value: str
    role: str | None = Field(default=None, description="'coordinateur' when stated beside it")
    page: int | None = Field(default=None, ge=1)


class PageReading(_Model):
    """How one page's text was obtained (issue #8)."""

    page: int = Field(ge=1)
    triage: Literal["ok", "missing", "unusable", "empty"] = Field(
        description="The text layer: ok; missing (a scan, or text as outlines); unusable (unmapped glyphs, "
                    "private-use characters, no words); empty (a blank page)")
    reason: str = Field(description="Why the text layer is not ok, in words ('' when ok)")
    method: Literal["text", "ocr", "none"] = Field(
        description="text: the text layer; ocr: Tesseract; none: nothing read (blank, or OCR unavailable/failed)")
    ocr_confidence: float | None = Field(default=None, ge=0, le=100,
                                         description="OCR pages: mean word confidence (0-100)")
    words: int = Field(ge=0, description="Words read on the page")


class ExtractionWarning(_Model):
    code: str = Field(description="UPPER_SNAKE code, e.g. DECLARED_ACTIONS_MISMATCH")
    message: str


class ContractExtraction(_Model):
    """Everything extracted from one published document."""

    schema_version: Literal["1.4"] = "1.4"
    extractor_version: str
    document: DocumentInfo
    contract: ContractInfo
    axes: list[Axis]
    objectives: list[Objective]
    actions: list[Action]
    partners: list[PartnerMention]
    publics: list[PublicMention]
    indicators: list[Indicator] = Field(default_factory=list)
    governance: list[GovernanceBody] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    pages: list[PageReading] = Field(default_factory=list, description="Per page: text layer or OCR, and why")
    sections: list[Section] = Field(default_factory=list, description="The outline: each section's role and why")
    segmentation: list[str] = Field(default_factory=list,
                                    description="Which segmentation strategy gave the axes, and its evidence")
    warnings: list[ExtractionWarning]

    @model_validator(mode="after")
    def _references(self) -> ContractExtraction:
        axis_numbers = {a.number for a in self.axes}
        objective_titles = {o.title for o in self.objectives}
        items: list[Objective | Action] = [*self.objectives, *self.actions]
        for item in items:
            if item.axis is not None and item.axis not in axis_numbers:
                raise ValueError(f"{item.title!r} refers to unknown axis {item.axis!r}")
        for action in self.actions:
            if action.objective is not None and action.objective not in objective_titles:
                raise ValueError(f"action {action.title!r} refers to unknown objective {action.objective!r}")
        if self.contract.document_kind == "overview" and (self.axes or self.actions):
            raise ValueError("an overview document carries no axes or actions")
        everything: list[_Item] = [*self.axes, *self.objectives, *self.actions]
        for thing in everything:
            if thing.page is not None and thing.page > max(self.document.pages, 1):
                raise ValueError(f"{thing.title!r} is on page {thing.page} of a {self.document.pages}-page file")
        return self
