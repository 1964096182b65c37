"""`fixtures/<slug>/provenance.yaml`: where a fixture comes from, who reviewed its gold, and its first-read score.

The first-read score (issue #16) is the honest measure of generalisation: the axes / actions F1 of the extractor
*as it was* when the fixture was added, before any change made for that document. It is written once by
`scripts/first_read.py` and never rewritten (a later score is what `clsdata eval` prints).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field


class _Prov(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceFile(_Prov):
    file: str
    media_type: Literal["application/pdf", "text/html"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    pages: int | None = None
    dpi: int | None = None  # scanned variants
    notes: str | None = None


class SourceScore(_Prov):
    """One source file's first-read score (soft matching)."""

    file: str
    axes_f1: float = Field(ge=0, le=1)
    actions_f1: float = Field(ge=0, le=1)
    axes: tuple[int, int, int] = Field(description="matched, predicted, gold")
    actions: tuple[int, int, int] = Field(description="matched, predicted, gold")


class FirstRead(_Prov):
    """The extractor's score on the fixture when it was added, before any change made for it."""

    date: date
    extractor_version: str
    commit: str = Field(description="git commit of the extractor that was scored (+dirty when uncommitted)")
    mode: Literal["soft"] = "soft"
    batch: str | None = Field(default=None, description="Which admission batch (e.g. 'dev', 'holdout-1')")
    sources: list[SourceScore]

    @property
    def axes_f1(self) -> float:
        return sum(s.axes_f1 for s in self.sources) / len(self.sources)

    @property
    def actions_f1(self) -> float:
        return sum(s.actions_f1 for s in self.sources) / len(self.sources)


class Provenance(_Prov):
    slug: str
    title: str
    origin: str
    text_origin: Literal["real", "reconstruction", "seed", "scan"] | None = Field(
        default=None,
        description="real: text published by others (URL in source_urls); reconstruction: written for clsdata "
                    "from public facts; seed: the project's seed documents; scan: a rasterised twin")
    source_urls: list[str] = Field(default_factory=list, description="Where the real text was published")
    layout: str | None = Field(default=None, description="How the source was laid out (web page, Word-like "
                                                         "contract, brochure, spreadsheet print, …)")
    generator: str | None = None
    material: list[str] = Field(default_factory=list)
    sources: list[SourceFile]
    reviewer: str | None = None
    reviewed_on: date | None = None
    review_status: Literal["reviewed", "machine"] | None = None
    notes: str | None = None
    first_read: FirstRead | None = None

    @classmethod
    def from_file(cls, path: Path) -> Provenance:
        with path.open(encoding="utf-8") as fh:
            return cls.model_validate(yaml.safe_load(fh))
