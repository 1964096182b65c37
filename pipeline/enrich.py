"""Contract tree + document -> enrichment: themes, partners, pilots, publics, indicators, governance, contacts,
territory kind and département (issue #4). Pure functions; every vocabulary and pattern is a rule file:

    themes.yaml      theme taxonomy (ARS socle), matched on folded titles
    partners.yaml    organisations (spaCy SpanRuler, in nlp.py), canonical name + acronym + kind
    publics.yaml     target publics (SpanRuler), controlled vocabulary
    enrich.yaml      territory kinds, CLS generation, indicator units, governance bodies, personal data
    departements.csv départements and their régions
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from pipeline.model import Block, Box, Document
from pipeline.nlp import Mentions, texts_to_mentions
from pipeline.rules import Vocabularies, fold, vocabularies
from pipeline.segment import Node, Tree

MAX_THEMES = 3
YEAR = re.compile(r"\b(20[0-4]\d|19[89]\d)\b")
NUMBER = re.compile(r"(?<![\w,.])([+-]\s?)?(\d{1,3}(?:[  ]\d{3})+|\d+)(?:[,.](\d+))?")
PILOT_SPLIT = re.compile(r"\s*(?:/|;|\+)\s*")
# "Coordinatrice CLS (CC APS et CC CNJ)": a role, then the organisations it belongs to.
ROLE_OF = re.compile(r"^(?:coordinat|charg|r[ée]f[ée]rent|animat|responsable|direct)\w*[^(]*\((?P<orgs>[^)]+)\)", re.I)


@dataclass(frozen=True)
class ThemeMatch:
    code: str
    evidence: str


@dataclass(frozen=True)
class ItemEnrichment:
    themes: tuple[ThemeMatch, ...] = ()
    partners: tuple[str, ...] = ()  # canonical or as printed, pilots first
    pilots: tuple[str, ...] = ()
    publics: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndicatorFound:
    label: str
    value: float
    unit: str
    year: int | None
    page: int
    box: Box | None


@dataclass(frozen=True)
class BodyFound:
    name: str
    acronym: str | None
    pages: tuple[int, ...]


@dataclass(frozen=True)
class ContactFound:
    kind: str  # person | email | phone
    value: str
    role: str | None
    page: int


@dataclass
class Enrichment:
    axes: list[ItemEnrichment] = field(default_factory=list)
    actions: list[ItemEnrichment] = field(default_factory=list)
    territory_kind: str | None = None
    department: str | None = None
    region: str | None = None
    generation: int | None = None
    indicators: list[IndicatorFound] = field(default_factory=list)
    governance: list[BodyFound] = field(default_factory=list)
    contacts: list[ContactFound] = field(default_factory=list)


# --- themes -------------------------------------------------------------------------------------------------

def _search(patterns: Iterable[re.Pattern[str]], folded: str) -> re.Match[str] | None:
    return next((m for m in (p.search(folded) for p in patterns) if m), None)


def text_to_themes(text: str, vocab: Vocabularies, where: str = "title") -> list[ThemeMatch]:
    """Themes whose patterns match the folded text (weak patterns only when nothing else does), without the
    themes that yield to another one found, in taxonomy order, with the matched words."""
    folded = fold(text).replace("’", "'")
    found: list[ThemeMatch] = []
    for strength in ("patterns", "weak"):
        for theme in vocab.themes:
            m = _search(getattr(theme, strength), folded)
            if m:
                found.append(ThemeMatch(theme.code, f"{where}: {text[m.start():m.end()] or m.group(0)}"))
        if found:
            break
    codes = {t.code for t in found}
    yields = {t.code: t.yields_to for t in vocab.themes}
    return [t for t in found if not codes.intersection(yields[t.code])]


def _specific_first(found: list[ThemeMatch]) -> list[ThemeMatch]:
    """At most MAX_THEMES, topic themes before the broad ones (access to care, coordination)."""
    generic = {"coordination-gouvernance", "acces-aux-soins", "promotion-sante"}
    ordered = [t for t in found if t.code not in generic] + [t for t in found if t.code in generic]
    return ordered[:MAX_THEMES]


def node_to_themes(node: Node, context: Sequence[tuple[str, str]], vocab: Vocabularies) -> tuple[ThemeMatch, ...]:
    """An item's themes from its title; when that names none, from its context (objective, then axis). A fiche's
    publics do not add population themes (the gold convention: only when the title names the population)."""
    found = text_to_themes(node.title, vocab)
    for where, text in context:
        if found:
            break
        found = text_to_themes(text, vocab, where)
    return tuple(_specific_first(found))


# --- partners, pilots, publics --------------------------------------------------------------------------------

def _canonical_items(items: Iterable[str], mentions: Sequence[Mentions]) -> list[str]:
    """Each printed item -> the vocabulary names found in it, or the item itself (trimmed) when none."""
    out: list[str] = []
    for item, m in zip(items, mentions, strict=True):
        names = list(m.partners) or [re.sub(r"[\s.,;:]+$", "", item.strip())]
        out.extend(n for n in names if n and n not in out)
    return out


def _pilot_items(pilot: str | None) -> list[str]:
    out = []
    for item in PILOT_SPLIT.split(pilot or ""):
        role = ROLE_OF.match(item.strip())
        out.extend(re.split(r"\s+et\s+|,\s*", role["orgs"]) if role else [item])
    return [i.strip() for i in out if i.strip()]


def actions_to_people(actions: Sequence[Node]) -> list[ItemEnrichment]:
    """Partners, pilots and publics of each action: its title and its fiche's cells, through the SpanRuler."""
    requests: list[str] = []
    plan: list[tuple[int, int, int, int]] = []  # per action: #pilot items, #partner items, start, (title index)
    pilot_items: list[list[str]] = []
    partner_items: list[list[str]] = []
    for node in actions:
        sheet = node.sheet
        pilots = _pilot_items(sheet.pilot) if sheet else []
        partners = list(sheet.partners) if sheet else []
        publics = list(sheet.publics) if sheet else []
        start = len(requests)
        requests.extend([node.title, " ; ".join(publics), *pilots, *partners])
        plan.append((len(pilots), len(partners), start, 0))
        pilot_items.append(pilots)
        partner_items.append(partners)
    mentions = texts_to_mentions(requests)
    out = []
    for (n_pilots, n_partners, start, _), pilots, partners in zip(plan, pilot_items, partner_items, strict=True):
        title, publics_cell = mentions[start], mentions[start + 1]
        pilot_names = _canonical_items(pilots, mentions[start + 2: start + 2 + n_pilots])
        partner_names = _canonical_items(partners, mentions[start + 2 + n_pilots: start + 2 + n_pilots + n_partners])
        everyone = [*pilot_names]
        everyone += [p for p in [*title.partners, *partner_names] if p not in everyone]
        publics = list(dict.fromkeys([*title.publics, *publics_cell.publics]))
        out.append(ItemEnrichment(partners=tuple(everyone), pilots=tuple(pilot_names), publics=tuple(publics)))
    return out


# --- contract-level facts ------------------------------------------------------------------------------------

def territory_to_kind(territory: str | None, texts: Sequence[str], vocab: Vocabularies) -> str | None:
    rules = vocab.enrich["territory_kinds"]
    if territory:
        name = fold(territory)
        for rule in rules:
            if re.search(rule["pattern"], name):
                return str(rule["kind"])
    body = fold(" ".join(texts))
    territory_folded = fold(territory or "")
    for rule in rules:
        # "la communauté de communes de X", "la ville de X", just before the territory's own name
        for m in re.finditer(rule["pattern"], body):
            if territory_folded and territory_folded[:12] in body[m.end(): m.end() + 60]:
                return str(rule["kind"])
    return None


@cache
def _department_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every département name (folded) and '(NN)' code, and the name -> code table."""
    names = {fold(d.name): d.code for d in vocabularies().departements}
    alternatives = sorted((re.escape(n).replace("\\-", "[- ]") for n in names), key=len, reverse=True)
    codes = "|".join(re.escape(d.code) for d in vocabularies().departements)
    pattern = re.compile(rf"(?<![\w-])(?P<name>{'|'.join(alternatives)})(?![\w-])|\((?P<code>{codes})\)")
    return pattern, {n.replace("-", " "): c for n, c in names.items()}


POSTCODE = re.compile(r"\b((?:97\d|\d{2}))\d{2,3}\s+[A-ZÉ][a-zé]")


def texts_to_department(texts: Sequence[str], vocab: Vocabularies,
                        territory: str | None = None) -> tuple[str | None, str | None]:
    """The département the document names most (by name, '(53)', or postcodes, which count double), with its
    région; ties -> None. Région names ("Pays de la Loire") and the territory's own name ("Angers Loire
    Métropole") are not read as département names."""
    counts: Counter[str] = Counter()
    regions = {fold(d.region) for d in vocab.departements} - {fold(d.name) for d in vocab.departements}
    noise = sorted(regions | ({fold(territory)} if territory else set()), key=len, reverse=True)
    folded = []
    for t in texts:
        f = fold(t)
        for name in noise:
            f = f.replace(name, " ")
        folded.append(f)
    pattern, codes_of = _department_pattern()
    for m in pattern.finditer("\n".join(folded)):
        counts[m["code"] or codes_of[m["name"].replace("-", " ")]] += 1
    codes = {d.code for d in vocab.departements}
    for t in texts:
        for m in POSTCODE.finditer(t):
            prefix = m.group(1) if m.group(1) in codes else m.group(1)[:2]
            if prefix in codes:
                counts[prefix] += 2
    if not counts:
        return None, None
    ranked = counts.most_common(2)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None, None
    code = ranked[0][0]
    region = next(d.region for d in vocab.departements if d.code == code)
    return code, region


def texts_to_generation(texts: Sequence[str], vocab: Vocabularies) -> int | None:
    words = vocab.enrich["generation_words"]
    for text in texts:
        folded = fold(text)
        for pattern in vocab.enrich["generation"]:
            m = re.search(pattern, folded)
            if m:
                groups = m.groupdict()
                n = int(groups["n"]) if groups.get("n") else int(words[groups["w"]])
                if 1 <= n <= 6:
                    return n
    return None


def _number(m: re.Match[str]) -> float:
    whole = re.sub(r"[  ]", "", m.group(2))
    value = float(f"{whole}.{m.group(3)}") if m.group(3) else float(whole)
    return -value if (m.group(1) or "").strip() == "-" else value


def blocks_to_indicators(blocks: Sequence[Block], vocab: Vocabularies) -> list[IndicatorFound]:
    """Figures about the territory: a number followed by a known unit, outside headings and action lists."""
    units = [(u["unit"], re.compile(u["pattern"])) for u in vocab.enrich["indicator_units"]]
    excluded = [re.compile(p) for p in vocab.enrich["indicator_not"]]
    out = []
    seen: set[tuple[str, float, str]] = set()
    for block in blocks:
        if block.kind not in ("text", "bullet") or block.table is not None or len(block.text) > 600:
            continue
        for sentence in re.split(r"(?<=[.;!?])\s+|\s+[•▪]\s+", block.text):
            folded = fold(sentence).replace("’", "'")
            if len(folded) < 12 or any(p.search(folded) for p in excluded):
                continue
            consumed = 0  # "6 médecins pour 10 000 habitants": the 10 000 belongs to the unit
            for m in NUMBER.finditer(folded):
                if m.start() < consumed or YEAR.fullmatch(m.group(0).strip()) and not m.group(1):
                    continue  # inside the previous figure's unit, or a year
                rest = folded[m.end():]
                for unit, pattern in units:
                    u = pattern.match(rest)
                    if u is None:
                        continue
                    consumed = m.end() + u.end()
                    value = _number(m)
                    label = re.sub(r"\s+", " ", sentence).strip()[:240]
                    key = (label, value, unit)
                    if key not in seen:
                        seen.add(key)
                        years = [int(y) for y in YEAR.findall(folded) if int(y) != int(value)]
                        out.append(IndicatorFound(label, value, unit, years[-1] if years else None, block.page,
                                                  block.box))
                    break
    return out


def blocks_to_governance(blocks: Sequence[Block], vocab: Vocabularies) -> list[BodyFound]:
    pages: dict[str, set[int]] = {}
    for block in blocks:
        folded = fold(block.text)
        for body in vocab.enrich["governance"]:
            if re.search(body["pattern"], folded):
                pages.setdefault(body["name"], set()).add(block.page)
    acronyms = {b["name"]: b.get("acronym") for b in vocab.enrich["governance"]}
    return [BodyFound(name, acronyms[name], tuple(sorted(p))) for name, p in pages.items()]


def blocks_to_contacts(blocks: Sequence[Block], vocab: Vocabularies) -> list[ContactFound]:
    """Names with a civility, e-mail addresses and phone numbers (personal data, kept apart)."""
    rules = vocab.enrich["contacts"]
    found: dict[tuple[str, str], ContactFound] = {}
    for block in blocks:
        role = "coordinateur" if re.search(rules["coordinator"], fold(block.text)) else None
        for kind, pattern in (("email", rules["email"]), ("phone", rules["phone"]), ("person", rules["person"])):
            for m in re.finditer(pattern, block.text):
                value = m.groupdict().get("name") or m.group(0)
                key = (kind, value)
                if key not in found or (role and not found[key].role):
                    found[key] = ContactFound(kind, value.strip(), role, block.page)
    return list(found.values())


# --- the stage ------------------------------------------------------------------------------------------------

def tree_to_enrichment(tree: Tree, doc: Document) -> Enrichment:
    vocab = vocabularies()
    axis_titles = {n.number: n.title for n in tree.axes}
    texts = [b.text for b in doc.blocks]
    out = Enrichment()
    out.axes = [ItemEnrichment(themes=node_to_themes(n, (), vocab)) for n in tree.axes]
    people = actions_to_people(tree.actions)
    for node, who in zip(tree.actions, people, strict=True):
        context = [("objective", node.objective)] if node.objective else []
        if node.axis in axis_titles:
            context.append(("axis", axis_titles[node.axis]))
        out.actions.append(ItemEnrichment(node_to_themes(node, context, vocab), who.partners, who.pilots,
                                          who.publics))
    out.territory_kind = territory_to_kind(tree.territory, texts, vocab)
    out.department, out.region = texts_to_department(texts, vocab, tree.territory)
    out.generation = texts_to_generation(texts, vocab)
    out.indicators = blocks_to_indicators(doc.blocks, vocab)
    out.governance = blocks_to_governance(doc.blocks, vocab)
    out.contacts = blocks_to_contacts(doc.blocks, vocab)
    return out
