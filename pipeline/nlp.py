"""spaCy (fr_core_news_sm) enrichment: partner organisations and target publics, from rule files.

The model is loaded once per process (cached). Only its French tokenizer and vocabulary run, with an
EntityRuler whose patterns come from pipeline/rules/*.jsonl: the statistical components (tok2vec, NER,
parser, tagger) cost ~30x the ruler and their entities were not used (measured on the fixtures).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import spacy
from spacy.language import Language

from pipeline.rules import jsonl_patterns

MODEL = "fr_core_news_sm"


@cache
def load_nlp() -> Language:
    nlp = spacy.load(MODEL, exclude=["tok2vec", "ner", "parser", "lemmatizer", "morphologizer",
                                     "attribute_ruler", "senter"])
    ruler = nlp.add_pipe("entity_ruler", name="clsdata_ruler",
                         config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns([*jsonl_patterns("partners.jsonl"), *jsonl_patterns("publics.jsonl")])  # type: ignore[attr-defined]
    return nlp


@dataclass(frozen=True)
class Mentions:
    partners: tuple[str, ...]  # canonical names, in first-seen order
    publics: tuple[str, ...]


def _split_id(ent_id: str) -> tuple[str, str | None]:
    name, _, acronym = ent_id.partition("|")
    return name, acronym or None


def texts_to_mentions(texts: Sequence[str]) -> list[Mentions]:
    """One Mentions per text, in order (texts batched through nlp.pipe)."""
    nlp = load_nlp()
    out = []
    for doc in nlp.pipe(texts, batch_size=64):
        partners: list[str] = []
        publics: list[str] = []
        for ent in doc.ents:
            if ent.label_ == "PARTNER":
                name = _split_id(ent.ent_id_)[0]
                if name not in partners:
                    partners.append(name)
            elif ent.label_ == "PUBLIC" and ent.ent_id_ not in publics:
                publics.append(ent.ent_id_)
        out.append(Mentions(tuple(partners), tuple(publics)))
    return out


def acronyms() -> dict[str, str | None]:
    return dict(_split_id(p["id"]) for p in jsonl_patterns("partners.jsonl"))


def aggregate(mentions: Iterable[tuple[int, Mentions]]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """(page, mentions) pairs -> {partner: [page per mention]}, {public: [page per mention]}."""
    partners: dict[str, list[int]] = defaultdict(list)
    publics: dict[str, list[int]] = defaultdict(list)
    for page, m in mentions:
        for p in m.partners:
            partners[p].append(page)
        for p in m.publics:
            publics[p].append(page)
    return dict(partners), dict(publics)
