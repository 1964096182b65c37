"""The contract's metadata from the document's text: period, signing date, declared counts, territory."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from pipeline.model import Document
from pipeline.rules import StructureRules, fold
from pipeline.tree import first_match as _match


def _sentences(text: str) -> list[str]:
    """Sentences of a paragraph (split after . ! ? before a capital or an opening quote)."""
    return re.split(r"(?<=[.!?])\s+(?=[A-ZÀÉÈ«])", text)



def document_texts(doc: Document) -> list[str]:
    out = list(doc.furniture)
    for b in doc.blocks:
        if b.table is not None:
            out.extend(x.text for c in b.table.cells for x in c.blocks)
        else:
            out.append(b.text)
    return out


def text_to_period(texts: list[str], rules: StructureRules) -> tuple[int | None, int | None]:
    context = re.compile(rules.raw["period_context"], re.I)
    other = re.compile(rules.raw["period_not"], re.I)
    for text in texts:
        if not context.search(text):
            continue
        for found in (m for p in rules.patterns("period_range") for m in p.finditer(text)):
            start, end = int(found["start"]), int(found["end"])
            if 1 <= end - start <= 10 and not other.search(text[max(found.start() - 60, 0):found.start()]):
                return start, end
    for text in texts:
        m = _match(rules.patterns("period_duration"), text)
        if m:
            start = int(m["start"])
            return start, start + rules.number(m["years"]) - 1  # "cinq ans à compter de 2024": 2024-2028
        m = _match(rules.patterns("period_end_after_years"), text)
        if m:
            end = int(m["end"])
            return end - rules.number(m["years"]), end
    return None, None


def text_to_signed_on(texts: list[str], rules: StructureRules,
                      period: tuple[int | None, int | None] = (None, None)) -> date | None:
    """The first signing date in the text; with a known period, the first one that can sign it (a date years before
    the period is an earlier contract's: "En signant son premier contrat … le 14 février 2020" in a 2025-2029 CLS)."""
    months = rules.raw["months"]
    distractor = re.compile(rules.raw["prose_distractor"], re.I)
    start, end = period
    for text in (x for t in texts for x in _sentences(t)):
        if distractor.search(text):
            continue
        for pattern in rules.patterns("signed_on"):
            for m in pattern.finditer(text):
                month = m["month"]
                month_n = int(month) if month.isdigit() else months[fold(month)]
                try:
                    found = date(int(m["year"]), month_n, int(m["day"]))
                except ValueError:
                    continue
                if start is not None and end is not None and not start - 2 <= found.year <= end:
                    continue
                return found
    return None


def text_to_declared(texts: list[str], rules: StructureRules, key: str) -> int | None:
    for text in texts:
        m = _match(rules.patterns(key), text)
        if m:
            return rules.number(m["count"])
    return None


def normalise_territory(name: str, rules: StructureRules) -> str:
    prefix = re.match(rules.raw["territory_kind_prefix"], name, re.I)
    if prefix and name[prefix.end():][:1].isupper():
        name = name[prefix.end():]
    name = re.split(r"\s*[›|·»]\s*", name)[0]  # "Abbeville – Abbeville au quotidien › Santé"
    parts = re.split(r"(\s+[–—-]\s+)", name, maxsplit=1)
    head, dash, tail = (parts[0], parts[1], parts[2]) if len(parts) == 3 else (name, "", "")
    if dash:  # "Mont Saint-Michel – Normandie" is one name; "Sud Charente – document validé" is not
        words = [w for w in tail.split() if w.lower() not in _PARTICLES]
        name = name if words and all(w[:1].isupper() for w in words) else head
    for stop in rules.raw["territory_stop_words"]:
        idx = name.find(" " + stop)
        if idx > 0:
            name = name[:idx]
    name = re.sub(r"\s+et\s+(?:du|de la|de l[’']|des|de|le|la|les|l[’'])\s+", " et ", name)
    name = re.sub(r"(?:\s+(?:et|de|du|des|la|le|sur|en|[-–—]))+$", "", name.strip())
    words = name.split()
    if words and words[0].rstrip(",").isupper() and len(name) > 4:  # "L'ERNEE ET LE BOCAGE" printed in capitals
        name = " ".join(w if w in rules.raw["territory_acronyms"] else _capitalised(w.lower(), i)
                        for i, w in enumerate(name.split()))
    if name[:1].islower():  # "du pays de Brest", "des îles bretonnes du Ponant"
        name = name[:1].upper() + name[1:]
    return name.strip(" ’'")


_PARTICLES = {"de", "du", "des", "la", "le", "les", "et", "sur", "en", "lès", "l’", "l'", "d’", "d'"}


def _capitalised(word: str, position: int) -> str:
    """A word of a name printed in capitals: particles in lower case ("Cœur du Jura et Champagnole"), elided
    ones too ("d’Ostrevent"), the first word and the rest capitalised ("Saint-Jean-de-Luz" keeps its inner case)."""
    if position and word in _PARTICLES:
        return word
    elided = re.match(r"^([dl][’'])(.+)$", word)
    if elided and position:
        return elided[1] + _capitalised(elided[2], 0)
    return "-".join(part if part in {"de", "du", "des", "la", "le", "les", "sur", "en", "lès"} and n else
                    part[:1].upper() + part[1:] for n, part in enumerate(word.split("-")))


def _plausible_territory(name: str, rules: StructureRules) -> bool:
    first = name.split()[0] if name.split() else ""
    return (len(name) >= 3 and name not in rules.raw["territory_not_names"]
            and first not in rules.raw["territory_not_first_words"])


def text_to_territory(texts: list[str], rules: StructureRules) -> str | None:
    """The contracting territory: the patterns in their order, each pattern's most repeated name; a name the
    document prints twice or more wins over one read once (a news site's name after "contrat local de santé"
    in a list of related articles, a president's name after "la Communauté d’agglomération")."""
    flats = [re.sub(r"\s+", " ", text) for text in texts]
    joined = "\n".join(flats)
    folded = joined.casefold()
    # words printed in lower case in running text (not in an address: "ville-bastia.fr", "contact@pantin.fr")
    # (twice at least: a keyword tag prints a name in lower case once, "Mots-clés : bastia")
    lower = Counter(re.findall(r"(?<![\w./@-])([a-zà-ÿœ]+)(?![\w/@-]|\.\w)", joined))
    fallback: str | None = None
    for pattern in rules.patterns("territory"):
        found: list[tuple[int, str]] = []
        for flat in flats:
            for m in pattern.finditer(flat):
                name = normalise_territory(m["territory"], rules)
                # one capitalised word the document also prints in lower case is a common word ("CLS Création …")
                common = " " not in name and lower[name.lower()] >= 2 and name.lower() != name
                if _plausible_territory(name, rules) and not common:
                    found.append((folded.count(m["territory"].casefold()), name))
        if not found:
            continue
        count, name = max(found, key=lambda f: f[0])  # the first of the most repeated
        if count >= 2:
            # a part of a longer name read before: the longer one
            # ("Douaisis Agglo" in "Cœur d’Ostrevent et Douaisis Agglo")
            part = re.sub(r"\s+(?:communauté|agglo|agglomération|métropole)$", "", name.casefold())
            return fallback if fallback and part in fallback.casefold() else name
        fallback = fallback or found[0][1]
    return fallback


def period_until(texts: list[str], signed: date | None, rules: StructureRules) -> tuple[int | None, int | None]:
    """'signé ce lundi 12 juillet 2025 … une feuille de route allant jusqu'en 2030' -> 2025-2030."""
    if signed is None:
        return None, None
    for text in texts:
        m = _match(rules.patterns("period_until"), text)
        if m and 1 <= int(m["end"]) - signed.year <= 10:
            return signed.year, int(m["end"])
    return None, None
