"""Rules as data: structure patterns (structure.yaml, tables.yaml), vocabularies (partners, publics, themes,
départements) and enrichment patterns (enrich.yaml)."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).parent


@dataclass(frozen=True)
class StructureRules:
    version: str
    raw: dict[str, Any]
    _compiled: dict[str, list[re.Pattern[str]]] = field(default_factory=dict, compare=False, repr=False)

    def patterns(self, key: str) -> list[re.Pattern[str]]:
        """The compiled (case-insensitive) patterns of a rule key, compiled once."""
        if key not in self._compiled:
            value = self.raw[key]
            items = value if isinstance(value, list) else [value]
            self._compiled[key] = [re.compile(p, re.IGNORECASE) for p in items]
        return self._compiled[key]

    def number(self, word: str) -> int:
        word = word.lower()
        return int(word) if word.isdigit() else int(self.raw["number_words"][word])


@cache
def structure_rules() -> StructureRules:
    with (RULES_DIR / "structure.yaml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return StructureRules(version=raw["version"], raw=raw)


@dataclass(frozen=True)
class Partner:
    name: str
    acronym: str | None
    kind: str
    names: tuple[str, ...]
    acronyms: tuple[str, ...]


@dataclass(frozen=True)
class Public:
    label: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Theme:
    code: str
    label: str
    socle: str | None
    patterns: tuple[re.Pattern[str], ...]
    weak: tuple[re.Pattern[str], ...] = ()
    yields_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    region: str


@dataclass(frozen=True)
class Vocabularies:
    partners: tuple[Partner, ...]
    publics: tuple[Public, ...]
    themes: tuple[Theme, ...]
    socle: dict[str, str]
    departements: tuple[Departement, ...]
    enrich: dict[str, Any]

    def partner(self, name: str) -> Partner | None:
        return next((p for p in self.partners if p.name == name), None)


def _yaml(name: str) -> Any:
    with (RULES_DIR / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def vocabularies() -> Vocabularies:
    """Partners, publics, themes, départements and enrichment patterns (pipeline/rules/*.yaml, *.csv)."""
    partners = tuple(Partner(p["name"], p.get("acronym"), p["kind"], tuple(p.get("names") or ()),
                             tuple(p.get("acronyms") or ())) for p in _yaml("partners.yaml")["partners"])
    raw_publics = _yaml("publics.yaml")
    publics = tuple(Public(p["label"], tuple(p["patterns"])) for p in raw_publics["publics"])
    publics += (Public("", tuple(raw_publics.get("not_publics") or ())),)  # matched, then ignored
    raw = _yaml("themes.yaml")
    themes = tuple(Theme(t["code"], t["label"], t.get("socle"), tuple(re.compile(p) for p in t["patterns"]),
                         tuple(re.compile(p) for p in t.get("weak") or ()), tuple(t.get("yields_to") or ()))
                   for t in raw["themes"])
    with (RULES_DIR / "departements.csv").open(encoding="utf-8", newline="") as fh:
        departements = tuple(Departement(r["code"], r["name"], r["region"]) for r in csv.DictReader(fh))
    return Vocabularies(partners, publics, themes, dict(raw["socle"]), departements, _yaml("enrich.yaml"))


@dataclass(frozen=True)
class TableRules:
    version: str
    fields: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    tick: re.Pattern[str]

    def field_of(self, label: str) -> str | None:
        """Fiche field / column name for a label cell ('Public(s) cible(s) :' -> 'publics'), or None."""
        folded = fold_label(label)
        if not folded or len(folded) > 60:
            return None
        for name, patterns in self.fields:
            if any(p.search(folded) for p in patterns):
                return name
        return None


_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str) -> str:
    """Lowercase without accents ("Échéance" -> "echeance"): combining marks removed after NFD."""
    return _MARKS.sub("", unicodedata.normalize("NFD", text.lower()))


def fold_label(text: str) -> str:
    """Lowercase, accents removed, '(s)' and trailing ':' dropped, spaces collapsed."""
    text = fold(text).replace("’", "'")
    text = re.sub(r"\(s\)|\(es\)|\(e\)", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"[\s:.]+$", "", text)


@cache
def table_rules() -> TableRules:
    with (RULES_DIR / "tables.yaml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    fields = tuple((name, tuple(re.compile(p, re.IGNORECASE) for p in pats)) for name, pats in raw["fields"].items())
    return TableRules(version=raw["version"], fields=fields, tick=re.compile(raw["tick"], re.IGNORECASE))


@cache
def ocr_rules() -> dict[str, Any]:
    """Page triage thresholds and OCR settings (ocr.yaml)."""
    with (RULES_DIR / "ocr.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)  # type: ignore[no-any-return]
