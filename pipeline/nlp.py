"""spaCy (fr_core_news_sm) enrichment: partner organisations and target publics, from rule files.

The model is loaded once per process (cached). Only its French tokenizer and vocabulary run, with two
SpanRulers whose patterns come from pipeline/rules/partners.yaml and publics.yaml (names and publics in any
case; acronyms exactly): the statistical components (tok2vec, NER, parser, tagger) cost ~30x the rulers and their
entities were not used (measured on the fixtures).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import spacy
from spacy.language import Language
from spacy.util import filter_spans

from pipeline.rules import vocabularies

MODEL = "fr_core_news_sm"
SPANS_KEY = "clsdata"
APOSTROPHES = str.maketrans({"'": "’", "’": "'"})


@cache
def load_nlp() -> Language:
    nlp = spacy.load(MODEL, exclude=["tok2vec", "ner", "parser", "lemmatizer", "morphologizer",
                                     "attribute_ruler", "senter"])
    # A SpanRuler, not an EntityRuler: a partner and a public may cover the same words ("Maison des
    # adolescents" is an organisation and names young people).
    # Names match lower-cased; acronyms exactly ("CAF", not "caf"), by a second ruler whose phrase matcher
    # compares the tokens' text: ~5x faster than token patterns ([{"ORTH": ...}]) in spaCy's Matcher, same spans.
    ruler = nlp.add_pipe("span_ruler", name="clsdata_ruler",
                         config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "LOWER", "annotate_ents": False})
    ruler.add_patterns(_patterns())  # type: ignore[attr-defined]
    exact = nlp.add_pipe("span_ruler", name="clsdata_acronyms",
                         config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "ORTH", "annotate_ents": False,
                                 "overwrite": False})
    exact.add_patterns(_acronym_patterns())  # type: ignore[attr-defined]
    return nlp


def _acronym_patterns() -> list[dict[str, object]]:
    return [{"label": "PARTNER", "pattern": acronym, "id": f"{p.name}|{p.acronym or ''}"}
            for p in vocabularies().partners for acronym in p.acronyms]


def _patterns() -> list[dict[str, object]]:
    """SpanRuler patterns from the vocabularies (names as lower-cased phrases; acronyms: `_acronym_patterns`)."""
    vocab = vocabularies()
    out: list[dict[str, object]] = []
    for p in vocab.partners:
        key = f"{p.name}|{p.acronym or ''}"
        out.extend({"label": "PARTNER", "pattern": name, "id": key} for name in p.names)
    # "Département du Pas-de-Calais", "Conseil départemental du Jura", "Région Occitanie": from départements.csv.
    places = {"Conseil départemental|": [f"{w} {_of(d.name)}" for d in vocab.departements
                                         for w in ("département", "conseil départemental")],
              "Conseil régional|": [f"{w} {r}" for r in {d.region.lower() for d in vocab.departements}
                                    for w in ("région", "conseil régional")]}
    for key, names in places.items():
        out.extend({"label": "PARTNER", "pattern": name.lower(), "id": key} for name in names)
    for public in vocab.publics:
        out.extend({"label": "PUBLIC", "pattern": pattern, "id": public.label} for pattern in public.patterns)
    # Documents print both apostrophes: every pattern with one is added with the other.
    swapped = [{**p, "pattern": p["pattern"].translate(APOSTROPHES)} for p in out
               if isinstance(p["pattern"], str) and p["pattern"].translate(APOSTROPHES) != p["pattern"]]
    return out + swapped


@dataclass(frozen=True)
class Mentions:
    partners: tuple[str, ...]  # canonical names, in first-seen order
    publics: tuple[str, ...]


def _split_id(ent_id: str) -> tuple[str, str | None]:
    name, _, acronym = ent_id.partition("|")
    return name, acronym or None


def _of(name: str) -> str:
    """French 'of' before a département name: 'du Cantal', 'de la Mayenne', 'de l'Aveyron', 'des Vosges'."""
    lower = name.lower()
    if lower.startswith(("a", "e", "i", "o", "u", "é", "h")):
        return f"de l'{name}"
    feminine = ("ardèche", "aube", "aude", "charente", "corrèze", "creuse", "dordogne", "drôme", "gironde",
                "loire", "haute-loire", "haute-garonne", "haute-marne", "haute-saône", "haute-savoie",
                "haute-vienne", "haute-corse", "manche", "marne", "mayenne", "meuse", "moselle", "nièvre",
                "savoie", "sarthe", "seine-maritime", "somme", "vendée", "vienne", "corse-du-sud",
                "côte-d'or", "loire-atlantique", "charente-maritime", "seine-saint-denis", "martinique",
                "guadeloupe", "guyane", "réunion", "la réunion", "lozère", "haute-corse")
    if lower.startswith(("bouches", "côtes", "deux", "hautes", "hauts", "alpes", "pyrénées", "vosges", "yvelines",
                         "ardennes", "landes")):
        return f"des {name}"
    return f"de la {name}" if lower in feminine else f"du {name}"


def texts_to_mentions(texts: Sequence[str]) -> list[Mentions]:
    """One Mentions per text, in order (texts batched through nlp.pipe)."""
    nlp = load_nlp()
    out = []
    for doc in nlp.pipe(texts, batch_size=64):
        partners: list[str] = []
        publics: list[str] = []
        spans = sorted(doc.spans.get(SPANS_KEY, []))  # both rulers' spans in one order (each ruler sorts its own)
        for label, found in (("PARTNER", partners), ("PUBLIC", publics)):
            # the longest match wins among overlapping matches of one label ("professionnels de santé")
            for span in sorted(filter_spans([s for s in spans if s.label_ == label]), key=lambda s: s.start):
                key = _split_id(span.id_)[0] if label == "PARTNER" else span.id_
                if key and key not in found:
                    found.append(key)
        out.append(Mentions(tuple(partners), tuple(publics)))
    return out


def acronyms() -> dict[str, str | None]:
    return {p.name: p.acronym for p in vocabularies().partners}


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


@cache
def load_tagger() -> Language:
    """The statistical part of the model (tokens' part of speech and morphology, dependency parse), for the few
    sentences where a rule needs grammar (pipeline/enumerations.py): kept apart from load_nlp, which runs on every
    block and needs none of it."""
    return spacy.load(MODEL, exclude=["ner", "lemmatizer"])


def texts_to_starts(texts: Sequence[str]) -> list[str]:
    """How each text starts: 'det' (a determiner: a noun phrase), 'inf' (an infinitive: a verb phrase), 'noun',
    or 'other' — what an item of an enumeration starts with."""
    out = []
    for doc in load_tagger().pipe(texts, batch_size=32):
        kind = "other"
        for token in doc:
            if token.is_punct or token.is_space:
                continue
            if token.pos_ == "DET" or token.lower_ in {"l'", "l’", "d'", "d’"}:
                kind = "det"
            elif token.pos_ in {"VERB", "AUX"} and "Inf" in token.morph.get("VerbForm", []):
                kind = "inf"
            elif token.pos_ in {"NOUN", "PROPN"}:
                kind = "noun"
            break
        out.append(kind)
    return out
