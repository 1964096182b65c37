"""Declared counts and enumerations as evidence: a document that says how many axes it has and where they are.

  sentence_to_announcement   "Il se décline en 8 axes :", "autour de quatre grandes thématiques : a, b, c, et d",
                             "cinq priorités : développer … ; aménager … ; …", "plusieurs axes prioritaires :"
                             -> the noun, the declared count (or None when vague) and the text after the colon
  text_to_items              an enumeration in a sentence split into items: ";" first, else ",", the last two
                             joined by "et" (which "et" splits is decided by the declared count, else by
                             spaCy's parse: the words after "et" start an item of the same kind as the first one,
                             a determiner or an infinitive), ordinals ("premièrement, … ; enfin, …")
  blocks_to_enumerations     every announcement with its items: those of the sentence, or the list printed
                             after it (bullets, numbered items, or lines of one style, decorations skipped)

Which enumeration gives the axes is decided in pipeline/strategies.py: one whose item count agrees with the
count the document declares wins over one that does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pipeline.blocks import TRAILING
from pipeline.model import Block
from pipeline.rules import structure_rules
from pipeline.rules.segmentation import EnumerationRules, enumeration_rules

BULLET = re.compile(r"^[•◦▪■□●○►▶▸➢➤➜➔→✓✔❖◆◇\-–—*·]\s*")
NUMBERED = re.compile(r"^(?:\d{1,2}|[a-h]|[IVX]{1,4})\s*[.)°\-–—]\s*(?=\S)|^\d{1,2}\s+(?=[A-ZÉÈÀÎÔ«])")


@dataclass(frozen=True)
class Announcement:
    kind: str  # axes | actions
    noun: str
    strength: str  # strong | weak
    count: int | None  # declared count; None when vague ("plusieurs axes")
    rest: str  # the text after the colon (an enumeration in the sentence), "" when a list follows
    additive: bool = False  # "deux nouveaux axes", "un axe transversal": items that join the listed axes


@dataclass(frozen=True)
class Enumeration:
    announcement: Announcement
    block: Block  # the announcing block
    index: int  # its index in the block list
    items: tuple[tuple[str, Block], ...]  # item text, block it was read from
    source: str  # sentence | list

    @property
    def agrees(self) -> bool:
        """The number of items is the number the announcement declares."""
        return self.announcement.count is not None and self.announcement.count == len(self.items)


def _alternation(patterns: list[str]) -> str:
    return "(?:" + "|".join(patterns) + ")"


@cache
def _announce_re(kind: str) -> re.Pattern[str]:
    r = enumeration_rules()
    words = structure_rules().raw["number_words"]
    counts = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    nouns = (_alternation([*r.axis_nouns.strong, *r.axis_nouns.weak]) if kind == "axes"
             else _alternation(r.action_nouns))
    return re.compile(
        rf"(?:\b(?P<count>\d{{1,2}}|{counts}|{r.vague_counts})\s+(?:{r.count_adjectives}\s+)?)?"
        rf"(?P<noun>{nouns})\b(?P<tail>(?:(?!\b{nouns}\b)[^:.;!?]){{0,{r.max_tail_chars}}}?)\s*:\s*(?P<rest>[^!?]*)$",
        re.IGNORECASE)


def sentence_to_announcement(sentence: str, rules: EnumerationRules | None = None) -> Announcement | None:
    if ":" not in sentence:  # every announcement of a list ends "…: item, item" (cheap test first)
        return None
    rules = rules or enumeration_rules()
    if re.search(rules.distractor, sentence, re.I):
        return None
    for kind in ("axes", "actions"):
        m = _announce_re(kind).search(sentence)
        if m is None:
            continue
        noun = m["noun"].lower()
        if re.search(r"\b(?:les|des|nos|ses|vos)\s*$", sentence[: m.start("noun")].lower()) is None and \
                m["count"] is None and not re.search(r"\b(?:suivants?|suivantes|retenus?|retenues|autour|sont)\b",
                                                     (m["tail"] or "") + sentence[: m.start("noun")], re.I):
            continue  # "priorités :" alone in a sentence about something else
        strength = "strong"
        if kind == "axes" and any(re.fullmatch(w, noun, re.I) for w in rules.axis_nouns.weak):
            strength = "weak"
        count = None
        if m["count"] and not re.fullmatch(rules.vague_counts, m["count"], re.I):
            count = structure_rules().number(m["count"])
        rest = m["rest"].strip()
        rest = re.split(r"(?<=[a-zé)»])\.\s+(?=[A-ZÉÈÀ«])", rest)[0].rstrip(" .")
        additive = re.search(rules.additive, sentence[: m.start("rest")], re.I) is not None
        return Announcement(kind, noun, strength, count, rest, additive)
    return None


@cache
def _prose_res() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    r = enumeration_rules()
    words = structure_rules().raw["number_words"]
    counts = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    nouns = _alternation(r.axis_nouns.strong)
    # « Nous avons fixé des axes prioritaires », poursuit X, « attirer …, œuvrer … et poursuivre … »
    quoted = re.compile(rf"\b(?P<noun>{nouns})\b[^«»:]{{0,40}}»[^«»]{{0,80}}«\s*(?P<rest>[^»]+?)\s*»", re.I)
    # "les axes d’intervention prioritaires que sont l’accès aux soins, …", "Cinq axes stratégiques ont été ainsi
    # définis, a, b, … et e."
    relative = re.compile(rf"(?:\b(?P<count>\d{{1,2}}|{counts})\s+(?:{r.count_adjectives}\s+)?)?"
                          rf"(?P<noun>{nouns})\b[^.:;]{{0,50}}?"
                          rf"(?:\s+(?:que|qui)\s+sont(?:\s+sur)?|\s+(?:ont\s+[ée]t[ée]|sont|seront)\s+(?:\w+\s+)?"
                          rf"(?:d[ée]finis|retenus|identifi[ée]s|arr[êe]t[ée]s|choisis|d[ée]gag[ée]s|fix[ée]s)\s*,)\s+(?P<rest>[^.]+)",
                          re.I)
    # "La prévention, l'accès aux soins et la santé mentale sont les trois axes du contrat"
    copula = re.compile(rf"^(?P<rest>[^:;]{{10,300}}?)\s+"
                        rf"(?:sont|constituent|forment|seront|repr[ée]sentent|composent)\s+"
                        rf"(?:les|ses|des)\s+(?:(?P<count>\d{{1,2}}|{counts})\s+)?(?:{r.count_adjectives}\s+)?"
                        rf"(?P<noun>{nouns})\b", re.I)
    # "X, Y et Z au cœur des objectifs … Il s'agit des principaux axes de travail …": the list is the sentence before
    anaphora = re.compile(rf"^(?:il|ce|elles?|ils)\s+s.agit\s+(?:des|de\s+ses|de\s+ces)\s+"
                          rf"(?:(?P<count>\d{{1,2}}|{counts})\s+)?"
                          rf"(?:{r.count_adjectives}\s+)?(?P<noun>{nouns})\b", re.I)
    return quoted, copula, anaphora, relative


@cache
def _axis_noun_re() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_alternation(enumeration_rules().axis_nouns.strong)})\b", re.I)


LIST_HEAD_END = re.compile(r"\s+(?:au\s+c[oœ]ur|sont|constituent|forment|figurent|seront)\b", re.I)


def prose_to_announcement(sentence: str, previous: str | None) -> Announcement | None:
    """An enumeration of axes told in prose, without "N axes :" (a quote, "… sont les trois axes", "Il s'agit des
    principaux axes" after the list)."""
    if not _axis_noun_re().search(sentence):  # each form names the axes (cheap test first)
        return None
    quoted, copula, anaphora, relative = _prose_res()
    m = quoted.search(sentence)
    if m:
        return Announcement("axes", m["noun"].lower(), "strong", None, m["rest"])
    m = relative.search(sentence)
    if m:
        count = structure_rules().number(m["count"]) if m["count"] else None
        return Announcement("axes", m["noun"].lower(), "strong", count, m["rest"])
    m = copula.search(sentence)
    if m:
        count = structure_rules().number(m["count"]) if m["count"] else None
        return Announcement("axes", m["noun"].lower(), "strong", count, m["rest"])
    m = anaphora.search(sentence)
    if m and previous:
        head = LIST_HEAD_END.split(previous, maxsplit=1)[0]
        if "," in head or " et " in head:
            count = structure_rules().number(m["count"]) if m["count"] else None
            return Announcement("axes", m["noun"].lower(), "strong", count, head)
    return None


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+(?=[A-ZÀÉÈ«])", text)


@cache
def _heading_re() -> re.Pattern[str]:
    r = enumeration_rules()
    words = structure_rules().raw["number_words"]
    counts = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    nouns = _alternation(r.axis_nouns.strong)
    return re.compile(
        rf"^(?:(?:les|nos|ses|des|vos)\s+)?(?:(?P<count>\d{{1,2}}|{counts})\s+)?(?:{r.count_adjectives}\s+)?"
        rf"(?P<noun>{nouns})\b(?P<tail>.{{0,140}})$", re.IGNORECASE)


@cache
def _trailing_re() -> re.Pattern[str]:
    r = enumeration_rules()
    words = structure_rules().raw["number_words"]
    counts = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    nouns = _alternation(r.axis_nouns.strong)
    return re.compile(
        rf"\b(?P<count>\d{{1,2}}|{counts})\s+(?:{r.count_adjectives}\s+)?(?P<noun>{nouns})"
        rf"(?:\s+(?:strat[ée]giques|prioritaires|principaux|principales|majeurs|de\s+travail))*\s*\.?$", re.IGNORECASE)


def block_to_heading_announcement(block: Block, rules: EnumerationRules) -> Announcement | None:
    """A sentence or heading that starts by naming the axes, without a colon: "Six enjeux structurent le contrat.",
    "Enjeux", "Nos priorités d'action"."""
    text = block.text.strip().rstrip(".")
    if block.kind == "bullet" or re.search(rules.distractor, text, re.I):
        return None
    m = _heading_re().match(text) if len(text) <= 160 else None
    if m is None:  # "… s'est déclinée autour de 3 axes stratégiques." (the last sentence naming a count of axes)
        m = next((x for sentence in reversed(_sentences(block.text.strip())) if len(sentence) <= 300
                  for x in [_trailing_re().search(sentence)] if x), None)
        if m is None:
            return None
        count: int | None = structure_rules().number(m["count"])
        return Announcement("axes", m["noun"].lower(), "strong", count, "",
                            re.search(rules.additive, block.text, re.I) is not None)
    if m["count"] is None and len(text) > 60:
        return None  # a long sentence that only starts with "Les axes…"
    if not m["tail"].strip() and not (block.bold or block.level is not None or block.text.strip().isupper()):
        return None  # a key-figure tile ("4 axes"), not a heading over a list
    count = structure_rules().number(m["count"]) if m["count"] else None
    return Announcement("axes", m["noun"].lower(), "strong", count, "")


# ---------------------------------------------------------------- splitting a sentence
def _split_outside_parentheses(text: str, sep: str) -> list[str]:
    out, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch in "([«":
            depth += 1
        elif ch in ")]»":
            depth = max(depth - 1, 0)
        elif depth == 0 and text.startswith(sep, k):
            out.append(text[start:k])
            start = k + len(sep)
    out.append(text[start:])
    return [x.strip() for x in out]


def _clean(item: str) -> str:
    item = re.sub(r"^(?:(?:et|ou|mais\s+aussi)\b|ainsi\s+qu(?:e\b|[’']))\s*", "", item.strip(), flags=re.I)
    return TRAILING.sub("", item).strip(" «»\"")


def text_to_items(text: str, count: int | None, rules: EnumerationRules | None = None) -> list[str]:
    """The items of an enumeration printed in a sentence."""
    rules = rules or enumeration_rules()
    text = text.strip().rstrip(".")
    if re.search(rules.ordinals, text, re.I) and len(re.findall(rules.ordinals, text, re.I)) >= 2:
        parts = [p for p in re.split(rules.ordinals, text, flags=re.I) if p.strip(" ;,.")]
        return [_clean(p) for p in parts if _clean(p)]
    if re.match(r"^[-–—•]\s", text) or len(re.findall(r"(?:^|[,;]\s*)[-–—•]\s", text)) >= 2:
        # "- Renforcer l’organisation des soins de proximité, - Améliorer les parcours de santé"
        parts = re.split(r"(?:^|[,;.]?\s+)[-–—•]\s+", text)
        return [x for x in (_clean(p) for p in parts) if x]
    if ";" in text:
        return [x for x in (_clean(p) for p in _split_outside_parentheses(text, ";")) if x]
    parts = [p for p in _split_outside_parentheses(text, ",") if p]
    last = parts[-1] if parts else ""
    last_split = re.split(r"(?i)\s+mais\s+aussi\s+", last, maxsplit=1)
    if len(last_split) == 2:  # "…, la prévention et l’éducation à la santé, mais aussi les déterminants …"
        parts = [*parts[:-1], *last_split]
        return [x for x in (_clean(p) for p in parts) if x]
    if re.match(r"(?i)ainsi\s+qu", last):  # "…, santé mentale, ainsi qu’un axe transversal …": its own item
        return [x for x in (_clean(p) for p in parts) if x]
    splits = [m.start() for m in re.finditer(r"\s+et\s+", last)]
    if count is not None and len(parts) > count >= 2:
        parts = _merged(parts, count)
    if count is not None:
        if len(parts) == count:
            return [_clean(p) for p in parts]
        if len(parts) == count - 1 and splits:
            k = _best_et(last, splits, parts[0] if len(splits) > 1 else None)
            k = k if k >= 0 else splits[-1]
            return [_clean(p) for p in [*parts[:-1], last[:k], last[k:]]]
        return [_clean(p) for p in parts]
    if len(parts) >= 2 and splits:
        k = _best_et(last, splits, parts[0])
        if k >= 0:
            return [_clean(p) for p in [*parts[:-1], last[:k], last[k:]]]
    return [_clean(p) for p in parts if _clean(p)]


def _merged(parts: list[str], count: int) -> list[str]:
    """More comma parts than the declared count: a part that does not start like the first item ("Agir sur l'accès
    aux soins, aux droits et à la prévention": "aux droits…" after "Agir…") continues the previous one."""
    from pipeline.nlp import texts_to_starts

    kinds = texts_to_starts(parts)
    out = [parts[0]]
    for k, (part, kind) in enumerate(zip(parts[1:], kinds[1:], strict=True), start=1):
        if not _compatible(kinds[0], kind) and len(out) + (len(parts) - k) > count:
            out[-1] = f"{out[-1]}, {part}"
        else:
            out.append(part)
    return out


def _best_et(last: str, splits: list[int], first: str | None = None) -> int:
    """Which " et " of the last comma part separates two items: the last one whose next words start an item of the
    same kind as the first item (spaCy: a determiner, or an infinitive); with no first item to compare, the last."""
    if first is None:
        return splits[-1]
    from pipeline.nlp import texts_to_starts

    first_kind, *kinds = texts_to_starts([first, *(last[k:].split(" et ", 1)[1] for k in splits)])
    for k, kind in reversed(list(zip(splits, kinds, strict=True))):
        if _compatible(first_kind, kind):
            return k
    return -1


def _compatible(first: str, other: str) -> bool:
    """Two items of one enumeration start alike: determiners, infinitives, or bare nouns (which the tagger may
    take for adjectives: "prévention, …, santé-environnement et soutien aux professionnels")."""
    if first == "noun":
        return other in {"noun", "other"}
    return first == other and first != "other"


# ---------------------------------------------------------------- lists after an announcement
def _style(b: Block) -> tuple[float, bool]:
    return (round(b.size), b.bold)


def _item_text(b: Block) -> str | None:
    text = b.text.strip()
    if b.kind == "bullet":
        return BULLET.sub("", text)
    m = NUMBERED.match(text)
    if m:
        return text[m.end():]
    return None


def _heading_like(b: Block, than: Block) -> bool:
    return b.kind == "text" and _item_text(b) is None and (
        b.bold or b.level is not None or b.text.strip().isupper() or b.size >= 1.12 * than.size)


def list_after(blocks: list[Block], start: int, count: int | None,
               rules: EnumerationRules | None = None, plain: bool = True,
               noun: str = "") -> list[tuple[str, Block]]:
    """Items printed after the announcing block blocks[start - 1] (key-figure tiles between them skipped: "3",
    "axes", "27 fiches actions")."""
    rules = rules or enumeration_rules()
    decoration = re.compile(rules.decoration)
    tile = re.compile(rf"^(?:\d{{1,3}}\s*)?{re.escape(noun[:4])}\w*$", re.I) if noun else None
    items: list[tuple[str, Block]] = []
    style: tuple[float, bool] | None = None
    allow_plain, plain = plain, False  # items printed as lines of one style, without bullets or numbers
    for b in blocks[start:]:
        if count is not None and len(items) >= count:
            break
        text = b.text.strip()
        if b.kind == "table" or b.kind == "year":
            if items:
                break
            continue
        if decoration.match(text) and not items or (decoration.match(text) and len(text) <= 3):
            continue
        if tile is not None and tile.match(text):
            continue
        if _item_text(b) is None and _is_label(text):  # a table's column headers ("Déclinaison", "Calendrier")
            continue
        item = _item_text(b)
        if item is None and allow_plain and (not items or plain) and len(text) <= rules.item_max_chars \
                and (style is None or _style(b) == style) and not re.search(r"[.!?]\s+[A-ZÉ]", text):
            item, plain = text, True
        head = re.match(r"^(.{3,120}?)\s+:\s+\S", item) if item is not None else None
        if item is not None and len(item) > rules.item_max_chars and not head:
            first = _sentences(item)[0]  # an item that runs on into the article's next sentences
            item = first if len(first) <= rules.item_max_chars and first != item else None
        if item is None:
            break
        if style is not None and not plain and b.kind == "text" and _style(b) != style:
            break
        style = style or _style(b)
        items.append((_clean(item), b))
    return [(t, b) for t, b in items if t]


def numbered_on_page(blocks: list[Block], at: int, count: int) -> list[tuple[str, Block]]:
    """Items "1." to "N." printed on the announcement's page, wherever reading order put them (slides and
    brochures place numbered circles beside the sentence that announces them)."""
    page = blocks[at].page
    found: dict[int, tuple[str, Block]] = {}
    for b in blocks:
        if b.page != page or b.kind == "table":
            continue
        m = re.match(r"^(\d{1,2})\s*[.)]\s+(?=\S)", b.text.strip())
        if m and 1 <= int(m[1]) <= count and int(m[1]) not in found:
            found[int(m[1])] = (_clean(b.text.strip()[m.end():]), b)
    return [found[k] for k in range(1, count + 1)] if len(found) == count else []


def table_after(blocks: list[Block], start: int, count: int | None, noun: str = "") -> list[tuple[str, Block]]:
    """An announced list printed as a table: the column headed by the announced noun ("Piliers du contrat"),
    else the first column of text; header rows (labels, years, the noun) left out."""
    if start >= len(blocks) or blocks[start].table is None:
        return []
    from pipeline.fiches import label_of

    table = blocks[start].table
    if table is None:
        return []
    stem = re.escape(noun[:5].lower()) if noun else None
    column: int | None = None
    header_rows: set[int] = set()
    for r in range(min(3, table.n_rows)):
        for c in table.starting_row(r):
            text = c.text.strip().lower()
            if stem and re.search(stem, text):
                column, header_rows = c.col, header_rows | set(range(r + 1))
            elif label_of(c.text) is not None or re.fullmatch(r"(?:19|20)\d\d", text):
                header_rows.add(r)
    items: list[tuple[str, Block]] = []
    for r in range(table.n_rows):
        if r in header_rows:
            continue
        row = [c for c in table.starting_row(r) if c.text and not re.fullmatch(r"[\dXx✓✔•\s]*", c.text)]
        if column is not None:
            row = [c for c in row if c.col <= column < c.col + c.cols]
        if row and row[0].blocks:
            items.append((_clean(row[0].text), row[0].blocks[0]))
        if count is not None and len(items) >= count:
            break
    return items


AXIS_HEADER = re.compile(
    r"^(?:les\s+)?(?P<noun>axes?|orientations?|enjeux|priorit[ée]s|piliers?)(?:\s+(?:d.intervention|strat[ée]giques?|"
    r"prioritaires?|th[ée]matiques?|du\s+(?:cls|contrat)))*\s*:?$", re.I)


def axis_column(block: Block) -> tuple[Announcement, list[tuple[str, Block]]] | None:
    """A table with a column headed "Orientation", "Axe d'intervention", "Axes stratégiques"…: its cells are axes."""
    table = block.table
    if table is None:
        return None
    for r in range(min(2, table.n_rows)):
        for c in table.starting_row(r):
            m = AXIS_HEADER.match(c.text.strip())
            if m is None:
                continue
            items: list[tuple[str, Block]] = []
            seen: set[str] = set()
            for rr in range(r + c.rows, table.n_rows):
                cell = next((x for x in table.starting_row(rr) if x.col <= c.col < x.col + x.cols), None)
                if cell is None or not cell.text or not cell.blocks:
                    continue
                text = _clean(cell.text)
                key = re.sub(r"\W+", "", text.lower())
                if key and key not in seen:
                    seen.add(key)
                    items.append((text, cell.blocks[0]))
            if len(items) >= 2:
                return Announcement("axes", m["noun"].lower(), "strong", None, ""), items
    return None


def headings_after(blocks: list[Block], start: int, count: int) -> list[tuple[str, Block]]:
    """An announced count followed by headings of one style, each with its own content: the next N of them."""
    items: list[tuple[str, Block]] = []
    style: tuple[float, bool, bool] | None = None
    for b in blocks[start:]:
        if len(items) >= count:
            break
        text = b.text.strip()
        if b.kind != "text" or len(text) > 120 or re.search(r"[.!?:]$", text):
            continue
        heading = b.bold or b.size >= 1.12 * blocks[start - 1].size or text.isupper()
        if not heading:
            continue
        key = (round(b.size), b.bold, text.isupper())
        if style is None:
            style = key
        if key == style:
            items.append((_clean(text), b))
    return items if len(items) == count else []


def blocks_to_enumerations(blocks: list[Block], rules: EnumerationRules | None = None) -> list[Enumeration]:
    rules = rules or enumeration_rules()
    out: list[Enumeration] = []
    for i, block in enumerate(blocks):
        if block.table is not None:
            found_column = axis_column(block)
            if found_column is not None:
                out.append(Enumeration(found_column[0], block, i, tuple(found_column[1]), "table"))
                continue
            # sentences written in a table's cells (a spreadsheet of press extracts): their inline enumerations
            for cell in block.table.cells:
                for cb in cell.blocks:
                    for sentence in _sentences(cb.text) if len(cb.text) > 60 else []:
                        found = sentence_to_announcement(sentence, rules) or prose_to_announcement(sentence, None)
                        if found is not None and found.rest:
                            texts = text_to_items(found.rest, found.count, rules)
                            if len(texts) >= 2:
                                out.append(Enumeration(found, cb, i, tuple((t, cb) for t in texts), "sentence"))
            continue
        if block.kind == "table" or len(block.text) < 6:
            continue
        sentences = _sentences(block.text)
        for k, sentence in enumerate(sentences):
            found = sentence_to_announcement(sentence, rules)
            if found is None and not re.search(rules.distractor, sentence, re.I):
                previous = sentences[k - 1] if k else (blocks[i - 1].text if i and blocks[i - 1].kind == "text"
                                                       else None)
                found = prose_to_announcement(sentence, previous)
            if found is None:
                continue
            rest = found.rest
            if not rest and k == len(sentences) - 1:
                # the paragraph goes on in the next blocks: "… 5 axes majeurs :" / "santé …"
                rest = _continued(blocks, i)
            if rest:
                found = Announcement(found.kind, found.noun, found.strength, found.count, rest, found.additive)
                texts = text_to_items(rest, found.count, rules)
                if len(texts) >= 2 or (found.additive and texts):
                    out.append(Enumeration(found, block, i, tuple((t, block) for t in texts), "sentence"))
            elif block.text.rstrip().endswith(":") and k == len(sentences) - 1:
                items = _announced_list(blocks, i, found.count, rules)
                if len(items) >= 2:
                    out.append(Enumeration(found, block, i, tuple(items), "list"))
        else:
            # no colon: "Six enjeux structurent le contrat." or a heading "Enjeux" / "Nos priorités", right
            # above a list of bullets or numbered items, a table, or (with a count) one heading per axis
            found = block_to_heading_announcement(block, rules)
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if found is None or nxt is None:
                continue
            items = []
            if nxt.table is not None:
                items = table_after(blocks, i + 1, found.count, found.noun)
            elif _item_text(nxt) is not None:
                items = list_after(blocks, i + 1, found.count, rules, plain=False)
                if found.count is not None and len(items) < found.count:
                    items = numbered_on_page(blocks, i, found.count) or items
            elif found.count is not None and _heading_like(nxt, block):
                items = headings_after(blocks, i + 1, found.count)
            if len(items) >= 2:
                out.append(Enumeration(found, block, i, tuple(items), "list"))
    return out


def _announced_list(blocks: list[Block], i: int, count: int | None,
                    rules: EnumerationRules) -> list[tuple[str, Block]]:
    """The list an announcement at blocks[i] introduces: a table, items below it, numbered items on its page,
    or headings of one style."""
    items = table_after(blocks, i + 1, count, blocks[i].text and _noun_of(blocks[i]))
    if len(items) >= 2:
        return items
    nxt = blocks[i + 1] if i + 1 < len(blocks) else None
    if count is not None and nxt is not None and _heading_like(nxt, blocks[i]):
        items = headings_after(blocks, i + 1, count)  # each announced axis is a heading over its own content
        if items:
            return items
    items = list_after(blocks, i + 1, count, rules, noun=_noun_of(blocks[i]))
    plain = bool(items) and _item_text(items[0][1]) is None
    if count is not None and (len(items) < count or plain):
        # numbered circles on the page are stronger evidence than lines that merely follow the sentence
        items = numbered_on_page(blocks, i, count) or (headings_after(blocks, i + 1, count) if not plain else []) \
            or items
    return items


def _is_label(text: str) -> bool:
    from pipeline.fiches import label_of

    return label_of(text) is not None or AXIS_HEADER.match(text.strip()) is not None or \
        text.strip().lower() in {"déclinaison", "declinaison", "thématique", "thematique", "précisions", "precisions"}


def _continued(blocks: list[Block], i: int) -> str:
    """The rest of a sentence printed in the next blocks (lines of one paragraph read as separate blocks): text
    blocks that start in lower case, up to the end of the sentence."""
    parts: list[str] = []
    for b in blocks[i + 1:i + 8]:
        text = b.text.strip()
        if b.kind != "text" or not text or (not parts and not text[:1].islower()):
            break
        parts.append(text)
        if re.search(r"[.!?]$", text):
            break
    return " ".join(parts) if parts and re.search(r"[.!?]$", parts[-1]) else ""


def _noun_of(block: Block) -> str:
    found = next((a for a in map(sentence_to_announcement, _sentences(block.text)) if a is not None), None)
    return found.noun if found else ""
