"""Rules as data: structure patterns (structure.yaml, tables.yaml), vocabularies (partners, publics, themes,
départements) and enrichment patterns (enrich.yaml).

Every file is parsed by its pydantic model (pipeline/rules/models.py) when first loaded: a bad file raises
RuleFileError naming the file, the key and the reason. `check_rules()` loads them all (the CLI and the ingest
service call it at start, so a bad rule file is refused before any document is read)."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipeline.rules.models import (
    DepartementRow,
    EnrichFile,
    OcrFile,
    PartnersFile,
    PublicsFile,
    RuleFileError,
    StructureFile,
    TablesFile,
    ThemesFile,
    validate_rules,
)

RULES_DIR = Path(__file__).parent
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same data as yaml.safe_load, ~10x faster
__all__ = ["RULES_DIR", "RuleFileError", "check_rules", "ocr_rules", "structure_rules", "table_rules",
           "vocabularies"]


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
    raw = _checked("structure.yaml", StructureFile)
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
    path = RULES_DIR / name
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_LOADER)  # noqa: S506 (a safe loader: libyaml's when present)
    except OSError as exc:
        raise RuleFileError(f"{path}: cannot read the rule file ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{path}: not valid YAML ({' '.join(str(exc).split())[:200]})") from exc


def _checked(name: str, model: type[Any]) -> dict[str, Any]:
    """The rule file as plain data (what the stages read), after its model accepted it."""
    raw = _yaml(name)
    validate_rules(model, raw, RULES_DIR / name)
    return raw  # type: ignore[no-any-return]


def _departements() -> tuple[Departement, ...]:
    path = RULES_DIR / "departements.csv"
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise RuleFileError(f"{path}: cannot read the rule file ({exc.strerror or exc})") from exc
    out = []
    for i, row in enumerate(rows):
        d = validate_rules(DepartementRow, row, Path(f"{path}: row {i + 2}"))
        out.append(Departement(d.code, d.name, d.region))
    return tuple(out)


@cache
def vocabularies() -> Vocabularies:
    """Partners, publics, themes, départements and enrichment patterns (pipeline/rules/*.yaml, *.csv)."""
    raw_partners = _checked("partners.yaml", PartnersFile)["partners"]
    partners = tuple(Partner(p["name"], p.get("acronym"), p["kind"], tuple(p.get("names") or ()),
                             tuple(p.get("acronyms") or ())) for p in raw_partners)
    raw_publics = _checked("publics.yaml", PublicsFile)
    publics = tuple(Public(p["label"], tuple(p["patterns"])) for p in raw_publics["publics"])
    publics += (Public("", tuple(raw_publics.get("not_publics") or ())),)  # matched, then ignored
    raw = _checked("themes.yaml", ThemesFile)
    themes = tuple(Theme(t["code"], t["label"], t.get("socle"), tuple(re.compile(p) for p in t["patterns"]),
                         tuple(re.compile(p) for p in t.get("weak") or ()), tuple(t.get("yields_to") or ()))
                   for t in raw["themes"])
    return Vocabularies(partners, publics, themes, dict(raw["socle"]), _departements(),
                        _checked("enrich.yaml", EnrichFile))


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
    raw = _checked("tables.yaml", TablesFile)
    fields = tuple((name, tuple(re.compile(p, re.IGNORECASE) for p in pats)) for name, pats in raw["fields"].items())
    return TableRules(version=raw["version"], fields=fields, tick=re.compile(raw["tick"], re.IGNORECASE))


@cache
def ocr_rules() -> dict[str, Any]:
    """Page triage thresholds and OCR settings (ocr.yaml)."""
    return _checked("ocr.yaml", OcrFile)


def check_rules() -> None:
    """Load every rule file now: RuleFileError (file, key, reason) for the first bad one."""
    structure_rules()
    table_rules()
    vocabularies()
    ocr_rules()
    from pipeline.rules.segmentation import enumeration_rules, outline_rules, strategy_settings

    outline_rules()
    enumeration_rules()
    strategy_settings()
