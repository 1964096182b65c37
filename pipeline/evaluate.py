"""Score extractions against reviewed gold, GROBID-style.

Items (axes, objectives, actions) are matched one-to-one by title under a matching mode:
  strict       titles equal after whitespace folding
  soft         case, punctuation and whitespace ignored
  levenshtein  normalised Levenshtein ratio >= 0.8 (on the soft form)
  ratcliff     Ratcliff/Obershelp ratio >= 0.95 (on the soft form)
Precision, recall and F1 are computed per field, micro-averaged (counts summed over documents) and
macro-averaged (mean of per-document F1 over documents where the field has gold or predictions).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein

from schemas.extraction import ContractExtraction
from schemas.gold import Gold

MODES = ("strict", "soft", "levenshtein", "ratcliff")
ITEM_FIELDS = ("axes", "objectives", "actions")
RELATION_FIELDS = ("action_axis", "action_objective", "years")
CONTRACT_FIELDS = ("document_kind", "territory", "period", "signed_on", "declared_axes", "declared_actions")
SHEET_FIELDS = ("sheet_pilot", "sheet_partners", "sheet_publics", "sheet_schedule", "sheet_indicators",
                "sheet_steps")
ENRICH_FIELDS = ("axis_themes", "action_themes", "action_publics", "action_partners")
FIELDS = (*ITEM_FIELDS, *RELATION_FIELDS, *SHEET_FIELDS, *ENRICH_FIELDS, *CONTRACT_FIELDS)


def strict_form(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def soft_form(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return "".join(c for c in text if c.isalnum())


TERRITORY_KIND = re.compile(
    r"^(?:le\s+|la\s+)?(?:pays|petr|communaut[ée]\s+de\s+communes|communaut[ée]\s+d.agglom[ée]ration|agglo(?:m[ée]ration)?|"
    r"ville|commune|m[ée]tropole)\s+(?:de\s+la\s+|de\s+l.|du\s+|des\s+|de\s+|d.)?|\s+(?:agglo(?:m[ée]ration)?|m[ée]tropole)$",
    re.I)


def territory_key(name: str) -> str:
    """A territory compared without the kind of body printed with it ("Pays Charolais-Brionnais" and
    "Charolais-Brionnais", "Grand Nancy" and "Métropole du Grand Nancy" name one territory; the official
    geography, warehouse side, tells the kind)."""
    return soft_form(TERRITORY_KIND.sub("", name.strip()))


def titles_match(mode: str) -> Callable[[str, str], bool]:
    if mode == "strict":
        return lambda a, b: strict_form(a) == strict_form(b)
    if mode == "soft":
        return lambda a, b: soft_form(a) == soft_form(b)
    if mode == "levenshtein":
        return lambda a, b: Levenshtein.normalized_similarity(soft_form(a), soft_form(b)) >= 0.8
    if mode == "ratcliff":
        return lambda a, b: difflib.SequenceMatcher(None, soft_form(a), soft_form(b)).ratio() >= 0.95
    raise ValueError(f"unknown matching mode {mode!r} (one of {', '.join(MODES)})")


@dataclass
class Counts:
    tp: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.predicted += other.predicted
        self.gold += other.gold

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else (1.0 if not self.predicted else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def defined(self) -> bool:
        return bool(self.gold or self.predicted)


@dataclass
class DocumentScore:
    name: str
    counts: dict[str, Counts]
    misses: list[str] = field(default_factory=list)


def _match_items(gold: Sequence[Any], pred: Sequence[Any], same: Callable[[str, str], bool],
                 text: Callable[[Any], str] = lambda item: item.title) -> list[tuple[int, int]]:
    """Greedy one-to-one matching in document order of items (by their title) or of strings (text=str)."""
    pairs = []
    used: set[int] = set()
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if pi not in used and same(text(g), text(p)):
                pairs.append((gi, pi))
                used.add(pi)
                break
    return pairs


def score_document(name: str, gold: Gold, got: ContractExtraction, mode: str = "soft") -> DocumentScore:
    same = titles_match(mode)
    counts: dict[str, Counts] = {}
    misses: list[str] = []
    for kind in ITEM_FIELDS:
        g_items, p_items = getattr(gold, kind), getattr(got, kind)
        pairs = _match_items(g_items, p_items, same)
        counts[kind] = Counts(len(pairs), len(p_items), len(g_items))
        matched_g, matched_p = {g for g, _ in pairs}, {p for _, p in pairs}
        misses += [f"{kind}: gold item not found: {g_items[i].title!r}" for i in range(len(g_items))
                   if i not in matched_g]
        misses += [f"{kind}: predicted item not in gold: {p_items[i].title!r}" for i in range(len(p_items))
                   if i not in matched_p]
    # relations, on matched actions
    g_axis = {a.number: a.title for a in gold.axes}
    p_axis = {a.number: a.title for a in got.axes}
    pairs = _match_items(gold.actions, got.actions, same)
    rel = {k: Counts() for k in RELATION_FIELDS}
    for gi, pi in pairs:
        g, p = gold.actions[gi], got.actions[pi]
        for kind, g_val, p_val, ok in (
            ("action_axis", g.axis, p.axis,
             g.axis is not None and p.axis is not None and same(g_axis.get(g.axis, ""), p_axis.get(p.axis, ""))),
            ("action_objective", g.objective, p.objective,
             g.objective is not None and p.objective is not None and same(g.objective, p.objective)),
            ("years", g.years or None, p.years or None, bool(g.years) and sorted(g.years) == sorted(p.years)),
        ):
            if kind == "years" and not g.years:
                if p.years:  # reported, not scored: years are measured on actions that have years in gold
                    misses.append(f"years: {g.title!r}: gold none, predicted {p.years!r}")
                continue
            c = rel[kind]
            c.gold += g_val is not None
            c.predicted += p_val is not None
            c.tp += ok
            if (g_val is not None or p_val is not None) and not ok:
                misses.append(f"{kind}: {g.title!r}: gold {g_val!r}, predicted {p_val!r}")
    counts.update(rel)
    counts.update(_score_sheets(gold, got, pairs, same, misses))
    counts.update(_score_enrichment(gold, got, pairs, same, misses))
    gc, pc = gold.contract, got.contract
    values: dict[str, tuple[Any, Any]] = {
        "document_kind": (gc.document_kind, pc.document_kind),
        "territory": (gc.territory, pc.territory),
        "period": ((gc.period_start, gc.period_end) if gc.period_start or gc.period_end else None,
                   (pc.period_start, pc.period_end) if pc.period_start or pc.period_end else None),
        "signed_on": (gc.signed_on, pc.signed_on),
        "declared_axes": (gc.declared_axes, pc.declared_axes),
        "declared_actions": (gc.declared_actions, pc.declared_actions),
    }
    for kind, (gv, pv) in values.items():
        if kind == "territory":
            ok = isinstance(gv, str) and isinstance(pv, str) and territory_key(gv) == territory_key(pv)
        else:
            ok = gv is not None and gv == pv
        counts[kind] = Counts(int(ok), int(pv is not None), int(gv is not None))
        if (gv is not None or pv is not None) and not ok:
            misses.append(f"{kind}: gold {gv!r}, predicted {pv!r}")
    return DocumentScore(name, counts, misses)


def _score_sheets(gold: Gold, got: ContractExtraction, pairs: list[tuple[int, int]],
                  same: Callable[[str, str], bool], misses: list[str]) -> dict[str, Counts]:
    """Fiche fields of matched actions whose gold has a sheet: single values compared, list items matched."""
    out = {k: Counts() for k in SHEET_FIELDS}
    for gi, pi in pairs:
        g_sheet, p_sheet = gold.actions[gi].sheet, got.actions[pi].sheet
        if g_sheet is None:
            continue
        title = gold.actions[gi].title
        for name in ("pilot", "schedule"):
            gv, pv = getattr(g_sheet, name), getattr(p_sheet, name) if p_sheet else None
            ok = gv is not None and pv is not None and same(gv, pv)
            out[f"sheet_{name}"].add(Counts(int(ok), int(pv is not None), int(gv is not None)))
            if (gv is not None or pv is not None) and not ok:
                misses.append(f"sheet_{name}: {title!r}: gold {gv!r}, predicted {pv!r}")
        if g_sheet.steps is not None:  # steps scored where gold annotates them
            g_steps = [x.title for x in g_sheet.steps]
            p_steps = [x.title for x in p_sheet.steps] if p_sheet else []
            matched = _match_items(g_steps, p_steps, same, text=str)
            out["sheet_steps"].add(Counts(len(matched), len(p_steps), len(g_steps)))
            mg, mp = {a for a, _ in matched}, {b for _, b in matched}
            misses += [f"sheet_steps: {title!r}: gold step not found: {x!r}"
                       for i, x in enumerate(g_steps) if i not in mg]
            misses += [f"sheet_steps: {title!r}: predicted step not in gold: {x!r}"
                       for i, x in enumerate(p_steps) if i not in mp]
        for name in ("partners", "publics", "indicators"):
            gl: list[str] = getattr(g_sheet, name)
            pl: list[str] = getattr(p_sheet, name) if p_sheet else []
            matched = _match_items(gl, pl, same, text=str)
            out[f"sheet_{name}"].add(Counts(len(matched), len(pl), len(gl)))
            mg, mp = {a for a, _ in matched}, {b for _, b in matched}
            misses += [f"sheet_{name}: {title!r}: gold item not found: {x!r}" for i, x in enumerate(gl) if i not in mg]
            misses += [f"sheet_{name}: {title!r}: predicted item not in gold: {x!r}"
                       for i, x in enumerate(pl) if i not in mp]
    return out


def _label_sets(kind: str, g: Any, p: Any) -> tuple[list[str] | None, list[str]]:
    if kind.endswith("themes"):
        return g.themes, [t.code for t in p.themes]
    if kind == "action_publics":
        return g.publics, list(p.publics)
    return g.partners, list(p.partners)


def _score_enrichment(gold: Gold, got: ContractExtraction, pairs: list[tuple[int, int]],
                      same: Callable[[str, str], bool], misses: list[str]) -> dict[str, Counts]:
    """Themes of matched axes and actions, publics and partners of matched actions, as (item, label) pairs;
    only items whose gold is annotated (the key present) count. Labels compare case- and accent-insensitively."""
    out = {k: Counts() for k in ENRICH_FIELDS}
    axis_pairs = _match_items(gold.axes, got.axes, same)
    plan: list[tuple[str, Sequence[Any], Sequence[Any], list[tuple[int, int]]]] = [
        ("axis_themes", gold.axes, got.axes, axis_pairs),
        *((k, gold.actions, got.actions, pairs) for k in ("action_themes", "action_publics", "action_partners")),
    ]
    for kind, g_items, p_items, matched in plan:
        for gi, pi in matched:
            gl, pl = _label_sets(kind, g_items[gi], p_items[pi])
            if gl is None:
                continue
            g_set = {soft_form(x): x for x in gl}
            p_set = {soft_form(x): x for x in pl}
            hits = g_set.keys() & p_set.keys()
            out[kind].add(Counts(len(hits), len(p_set), len(g_set)))
            title = g_items[gi].title
            misses += [f"{kind}: {title!r}: gold label not found: {g_set[k]!r}" for k in g_set.keys() - hits]
            misses += [f"{kind}: {title!r}: predicted label not in gold: {p_set[k]!r}" for k in p_set.keys() - hits]
    return out


@dataclass
class Report:
    mode: str
    documents: list[DocumentScore]

    def micro(self, kind: str) -> Counts:
        total = Counts()
        for d in self.documents:
            total.add(d.counts[kind])
        return total

    def macro_f1(self, kind: str) -> float:
        scores = [d.counts[kind].f1 for d in self.documents if d.counts[kind].defined]
        return sum(scores) / len(scores) if scores else 1.0

    def below(self, thresholds: dict[str, float]) -> list[str]:
        return [f"{kind}: micro F1 {self.micro(kind).f1:.3f} < {minimum:.3f}"
                for kind, minimum in thresholds.items() if self.micro(kind).f1 < minimum]

    def as_dict(self) -> dict[str, Any]:
        def c(x: Counts) -> dict[str, float | int]:
            return {"tp": x.tp, "predicted": x.predicted, "gold": x.gold, "precision": round(x.precision, 4),
                    "recall": round(x.recall, 4), "f1": round(x.f1, 4)}

        return {
            "mode": self.mode,
            "fields": {k: {**c(self.micro(k)), "macro_f1": round(self.macro_f1(k), 4)} for k in FIELDS},
            "documents": [{"name": d.name, "fields": {k: c(v) for k, v in d.counts.items()}, "misses": d.misses}
                          for d in self.documents],
        }


# ---------------------------------------------------------------- first reads (issue #16)
@dataclass
class FirstReadRow:
    batch: str
    fixtures: int
    first_axes_f1: float  # mean over the fixtures of their first-read F1 (the extractor before any change for them)
    first_actions_f1: float
    now_axes_f1: float  # the same fixtures scored now (macro over their sources)
    now_actions_f1: float


def first_reads_to_rows(first_reads: dict[str, Any], documents: Sequence[DocumentScore]) -> list[FirstReadRow]:
    """Per admission batch, the mean first-read axes/actions F1 of the fixtures and their scores today.

    `first_reads`: fixture name -> schemas.provenance.FirstRead of the fixtures added since the last release."""
    by_batch: dict[str, list[str]] = {}
    for name, fr in first_reads.items():
        by_batch.setdefault(fr.batch or "-", []).append(name)
    rows = []
    for batch in sorted(by_batch):
        names = by_batch[batch]
        now: dict[str, list[tuple[float, float]]] = {}
        for d in documents:
            fixture = d.name.split("/")[0]
            if fixture in names:
                now.setdefault(fixture, []).append((d.counts["axes"].f1, d.counts["actions"].f1))
        frs = [first_reads[n] for n in names]
        per_fixture_now = [(sum(a for a, _ in v) / len(v), sum(b for _, b in v) / len(v)) for v in now.values()]
        rows.append(FirstReadRow(
            batch, len(names),
            sum(f.axes_f1 for f in frs) / len(frs), sum(f.actions_f1 for f in frs) / len(frs),
            sum(a for a, _ in per_fixture_now) / max(len(per_fixture_now), 1),
            sum(b for _, b in per_fixture_now) / max(len(per_fixture_now), 1)))
    return rows
