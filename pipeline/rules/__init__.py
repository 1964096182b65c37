"""Rules as data: structure patterns (structure.yaml) and vocabularies (partners.jsonl, publics.jsonl)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).parent


@dataclass(frozen=True)
class StructureRules:
    version: str
    raw: dict[str, Any]

    def patterns(self, key: str) -> list[re.Pattern[str]]:
        value = self.raw[key]
        items = value if isinstance(value, list) else [value]
        return [re.compile(p, re.IGNORECASE) for p in items]

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
