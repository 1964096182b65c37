"""Rules as data: structure patterns (structure.yaml) and vocabularies (partners.jsonl, publics.jsonl)."""

from __future__ import annotations

import json
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


@cache
def jsonl_patterns(name: str) -> tuple[dict[str, Any], ...]:
    """Lines of a JSONL rule file (spaCy EntityRuler/SpanRuler format: {"label", "pattern", "id"})."""
    with (RULES_DIR / name).open(encoding="utf-8") as fh:
        return tuple(json.loads(line) for line in fh if line.strip() and not line.startswith("//"))


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


def fold(text: str) -> str:
    """Lowercase without accents ("Échéance" -> "echeance")."""
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


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
