"""Pages of positioned words -> blocks in reading order.

Steps, each a small pure function:
  words_to_lines      rows of words split at column gutters; drawn bullets (vector dots) become "•"
  lines_to_furniture  running headers/footers and page numbers set aside (repeated across pages, in margins)
  lines_to_regions    recursive XY-cut: section breaks first, then column gutters, then paragraph gaps;
                      a column of headings beside a column of items (a two-column "axis | actions" table)
                      is read row by row
  region_to_blocks    lines -> paragraphs, list items and year labels (stacked tile digits "20"/"26" -> 2026)
"""

from __future__ import annotations

import functools
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from pipeline.model import Block, Box, Line, Page, Word
from pipeline.ocr import FONT as OCR_FONT
from pipeline.rules import structure_rules

LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
                           "\u00ad": "", "\u00a0": " ", "\u202f": " "})
BULLETS = set("•◦▪■□●○►▶▸➢➤➜➔→✓✔❖◆◇–-—*·\u2043\u25cf\u25aa\u2219")
SYMBOL_FONT = re.compile(r"symbol|dingbat|wingding|webdings", re.I)
ITEM_START = re.compile(
    r"^(?:(?:fiche[ -]?)?actions?\s*n?°?\s*\d|axe\b|axe\s+strat|priorit[ée]\s*\d|objectif\s*(?:n°\s*)?\d|"
    r"orientation\s*\d|enjeu\s*\d|\d{1,2}\s*[.)]\s)",
    re.I,
)
YEAR = re.compile(r"^(?:19|20)\d\d$")
# Punctuation that ends a title or a cell without being part of it.
TRAILING = re.compile(r"[\s.,;:]+$")
PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:/|sur)\s*\d{1,4})?$", re.I)


PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")


@functools.lru_cache(maxsize=1024)
def _symbol_font(font: str) -> bool:
    return bool(SYMBOL_FONT.search(font))


def normalise_word(word: Word) -> Word | None:
    """Ligatures unfolded, soft hyphens dropped; glyphs of symbol fonts or the private-use area -> bullet."""
    text = word.text.translate(LIGATURES)
    symbol = _symbol_font(word.font)
    if PRIVATE_USE.search(text) or (symbol and not text.isalnum()):
        text = "•" if symbol else "•" + PRIVATE_USE.sub("", text)
    if "\ufffd" in text:
        text = text.replace("\ufffd", "•") if text.strip("\ufffd") == "" else text.replace("\ufffd", "")
    text = text.strip()
    if not text:
        return None
    if text == word.text:
        return word
    return Word(text, word.box, word.font, word.size, word.bold, word.italic, word.upright)


def _is_bullet(text: str) -> bool:
    return bool(text) and all(c in BULLETS for c in text)


# ---------------------------------------------------------------- words -> lines
def words_to_lines(page: Page) -> list[Line]:
    words = [w for w in (normalise_word(w) for w in page.words) if w is not None and w.upright]
    words.sort(key=lambda w: (w.box.top, w.box.x0))
    rows: list[list[Word]] = []
    refs: list[tuple[float, float, float, float]] = []  # each row's first word: top, bottom, height, size
    for w in words:
        top, bottom, size = w.box.top, w.box.bottom, w.size
        height = bottom - top
        # The row of one of the last six whose first word overlaps this one vertically by 60% of the lower of
        # the two, at a similar size (min and max written out: this loop runs ~50,000 times a document).
        for k in range(len(rows) - 1, max(len(rows) - 7, -1), -1):
            r_top, r_bottom, r_height, r_size = refs[k]
            overlap = (bottom if bottom < r_bottom else r_bottom) - (top if top > r_top else r_top)
            if overlap >= 0.6 * (height if height < r_height else r_height) and 0.6 < size / r_size < 1.7:
                rows[k].append(w)
                break
        else:
            rows.append([w])
            refs.append((top, bottom, height, size))
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda w: w.box.x0)
        pieces: list[list[Word]] = [[row[0]]]
        for w in row[1:]:
            prev = pieces[-1][-1]
            gap = w.box.x0 - prev.box.x1
            size = max(prev.size, w.size)
            lone_bullet = len(pieces[-1]) == 1 and _is_bullet(prev.text)
            if gap > max(1.0 * size, 4.0) and not (lone_bullet and gap < 4 * size):
                pieces.append([w])
            else:
                pieces[-1].append(w)
        for piece in pieces:
            box = Box(min(w.box.x0 for w in piece), min(w.box.top for w in piece), max(w.box.x1 for w in piece),
                      max(w.box.bottom for w in piece))
            lines.append(Line(tuple(piece), box, page.number))
    return _drawn_bullets(lines, page)


def _drawn_bullets(lines: list[Line], page: Page) -> list[Line]:
    """A small filled shape just left of a line, vertically inside it, is that line's bullet."""
    dots = [m.box for m in page.marks if m.kind == "dot"]
    if not dots:
        return lines
    out = []
    for line in lines:
        first = line.words[0]
        hit = next((d for d in dots if 0 <= line.box.x0 - d.x1 <= 3 * first.size
                    and line.box.top - 1 <= (d.top + d.bottom) / 2 <= line.box.bottom + 1), None)
        if hit and not _is_bullet(first.text):
            dot = Word("•", hit, first.font, first.size, False)
            line = Line((dot, *line.words), line.box.union(hit), line.page)
        out.append(line)
    return out


# ---------------------------------------------------------------- furniture
def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def lines_to_furniture(pages: Sequence[tuple[Page, list[Line]]]) -> tuple[set[int], list[str]]:
    """Ids of lines that are running headers/footers or page numbers, and the texts of the repeated ones."""
    margin_lines = []
    for page, lines in pages:
        for line in lines:
            in_margin = line.box.bottom < 0.08 * page.height or line.box.top > 0.90 * page.height
            if in_margin:
                margin_lines.append(line)
    counts = Counter(_furniture_key(line.text) for line in margin_lines)
    repeated_min = 2 if len(pages) >= 2 else 10**9
    drop: set[int] = set()
    texts: list[str] = []
    for line in margin_lines:
        key = _furniture_key(line.text)
        if PAGE_NUMBER.match(line.text.strip()):
            drop.add(id(line))
        elif counts[key] >= repeated_min:
            drop.add(id(line))
            if line.text not in texts:
                texts.append(line.text)
    return drop, texts


# ---------------------------------------------------------------- XY-cut
def _gaps(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Empty bands between the union of intervals, as (start, end)."""
    ivs = sorted(intervals)
    gaps: list[tuple[float, float]] = []
    if not ivs:
        return gaps
    end = ivs[0][1]
    for a, b in ivs[1:]:
        if a > end:
            gaps.append((end, a))
        end = max(end, b)
    return gaps


def _split(lines: list[Line], cuts: list[tuple[float, float]], axis: str) -> list[list[Line]]:
    bounds = [(a + b) / 2 for a, b in cuts]
    parts: list[list[Line]] = [[] for _ in range(len(bounds) + 1)]
    for line in lines:
        centre = (line.box.top + line.box.bottom) / 2 if axis == "y" else (line.box.x0 + line.box.x1) / 2
        idx = sum(1 for b in bounds if centre > b)
        parts[idx].append(line)
    return [p for p in parts if p]


def _median_size(lines: Sequence[Line]) -> float:
    return statistics.median(line.size for line in lines) if lines else 10.0


def lines_to_regions(lines: list[Line]) -> list[list[Line]]:
    """Recursive XY-cut; returns leaf regions (lists of lines) in reading order."""
    if len(lines) <= 1:
        return [lines] if lines else []
    med = _median_size(lines)
    ygaps = _gaps((ln.box.top, ln.box.bottom) for ln in lines)
    big = [g for g in ygaps if g[1] - g[0] >= 1.5 * med]
    if big:
        return [r for part in _split(lines, big, "y") for r in lines_to_regions(part)]
    xgaps = [g for g in _gaps((ln.box.x0, ln.box.x1) for ln in lines) if g[1] - g[0] >= max(0.9 * med, 6.0)]
    if xgaps:
        parts = _split(lines, xgaps, "x")
        if len(parts) == 2:
            rows = _label_column_rows(parts[0], parts[1])
            if rows is not None:
                return [r for row in rows for r in lines_to_regions(row)]
        return [r for part in parts for r in lines_to_regions(part)]
    small = [g for g in ygaps if g[1] - g[0] >= 0.6 * med]
    if small:
        parts = _split(lines, small, "y")
        if len(parts) > 1:
            sub = [lines_to_regions(p) for p in parts]
            if any(len(s) > 1 for s in sub):
                return [r for s in sub for r in s]
    return [lines]


def _groups_by_gap(lines: list[Line], factor: float) -> list[list[Line]]:
    """Consecutive lines (top to bottom) split where the gap is clearly larger than the usual leading."""
    ordered = sorted(lines, key=lambda ln: (ln.box.top, ln.box.x0))
    gaps = [b.box.top - a.box.bottom for a, b in zip(ordered, ordered[1:], strict=False)]
    if not gaps:
        return [ordered]
    usual = statistics.median(gaps)
    groups = [[ordered[0]]]
    for gap, line in zip(gaps, ordered[1:], strict=False):
        if gap > usual + factor * line.size:
            groups.append([line])
        else:
            groups[-1].append(line)
    return groups


def _label_column_rows(left: list[Line], right: list[Line]) -> list[list[Line]] | None:
    """A narrow column of bold headings beside a column of items is a table read row by row.

    Rows pair the i-th heading with the i-th group of items (groups separated by blank space) when the
    counts agree; otherwise each heading starts the row of the items that begin at or below it.
    """
    if not all(ln.bold for ln in left) or any(ln.bold for ln in right):
        return None
    lw = max(ln.box.x1 for ln in left) - min(ln.box.x0 for ln in left)
    rw = max(ln.box.x1 for ln in right) - min(ln.box.x0 for ln in right)
    if lw > rw or abs(min(ln.box.top for ln in left) - min(ln.box.top for ln in right)) > 2 * _median_size(left):
        return None
    heads = _groups_by_gap(left, 1.0)
    if len(heads) < 2:
        return None
    items = _groups_by_gap(right, 0.8)
    if len(items) == len(heads):
        return [h + i for h, i in zip(heads, items, strict=True)]
    rows: list[list[Line]] = [list(h) for h in heads]
    tops = [h[0].box.top for h in heads]
    for line in right:
        idx = max([i for i, t in enumerate(tops) if t <= line.box.top + 0.5 * line.size] or [0])
        rows[idx].append(line)
    return rows


# ---------------------------------------------------------------- region -> blocks
def _join(texts: list[str]) -> str:
    keep = set(structure_rules().raw["hyphen_keep_prefixes"])
    out = ""
    for t in texts:
        if not out:
            out = t
        elif re.search(r"\w-$", out) and t[:1].islower():
            prefix = re.search(r"(\w+)-$", out)
            # a word broken at its own hyphen keeps it (bien-être); otherwise the hyphen was added by layout
            out = out + t if prefix and prefix.group(1).lower() in keep else out[:-1] + t
        elif re.search(r"\w-$", out) and t[:1].isupper():
            out = out + t  # a compound name broken at its hyphen (Saint-Nazaire)
        else:
            out = out + " " + t
    return re.sub(r"\s+", " ", out).strip()


def _strip_bullet(line: Line) -> tuple[bool, str]:
    text = line.text
    first = line.words[0].text
    if _is_bullet(first) and len(line.words) > 1:
        return True, " ".join(w.text for w in line.words[1:])
    # Word's second-level bullet: a Courier "o" before the item's text
    if first == "o" and len(line.words) > 1 and line.words[0].font != line.words[1].font:
        return True, " ".join(w.text for w in line.words[1:])
    if first[0] in "•▪■●◆➢►" and len(first) > 1:
        return True, text[1:].strip()
    return False, text


def _ocr_continuation(prev: Line, prev_text: str, line: Line, text: str) -> bool:
    """A line read by OCR that goes on with the sentence above it (the line above does not end one, this one
    starts in lower case, nearly the same size): the same paragraph, whatever weight or size OCR measured for
    each. A scanned paragraph's short last line is often measured lighter or a half point larger than the
    lines above it; a text layer states its fonts and keeps its style rule."""
    if prev.words[0].font != OCR_FONT or line.words[0].font != OCR_FONT:
        return False
    if abs(line.size - prev.size) > 0.2 * prev.size or re.search(r"[.!?:;]\W*$", prev_text):
        return False
    return text[:1].islower()


def region_to_blocks(lines: list[Line], region: int) -> list[Block]:
    ordered = sorted(lines, key=lambda ln: (round(ln.box.top / 2), ln.box.x0))
    blocks: list[Block] = []
    current: list[tuple[Line, str]] = []
    current_bullet = False
    i = 0

    def flush() -> None:
        nonlocal current, current_bullet
        if current:
            box = Box.union_of(ln.box for ln, _ in current)
            text = _join([t for _, t in current])
            if text and not _is_bullet(text):
                first = current[0][0]
                many = len(current) > 1
                blocks.append(Block(text=text, kind="bullet" if current_bullet else "text", page=first.page,
                                    box=box, size=first.size, bold=all(ln.bold for ln, _ in current),
                                    region=region, lines=len(current),
                                    line_texts=tuple(t for _, t in current) if many else (),
                                    line_right=tuple(ln.box.x1 for ln, _ in current) if many else (),
                                    line_left=tuple(ln.box.x0 for ln, _ in current) if many else ()))
        current, current_bullet = [], False

    while i < len(ordered):
        line = ordered[i]
        text = line.text.strip()
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        # stacked year tile: "20" over "26"
        if (re.fullmatch(r"(?:19|20)", text) and nxt is not None and re.fullmatch(r"\d\d", nxt.text.strip())
                and -0.3 * line.size <= nxt.box.top - line.box.bottom < 0.8 * line.size
                and line.box.x_overlap(nxt.box) > 0):
            flush()
            blocks.append(Block(text=text + nxt.text.strip(), kind="year", page=line.page,
                                box=line.box.union(nxt.box), size=line.size, bold=line.bold, region=region,
                                year=int(text + nxt.text.strip()), lines=2))
            i += 2
            continue
        if YEAR.match(text):
            flush()
            blocks.append(Block(text=text, kind="year", page=line.page, box=line.box, size=line.size,
                                bold=line.bold, region=region, year=int(text)))
            i += 1
            continue
        bullet, body = _strip_bullet(line)
        if current:
            prev = current[-1][0]
            gap = line.box.top - prev.box.bottom
            restyled = abs(line.size - prev.size) > 0.12 * prev.size or line.bold != prev.bold
            if restyled and _ocr_continuation(prev, current[-1][1], line, body):
                restyled = False
            starts_new = (
                bullet or ITEM_START.match(body) is not None or gap > 0.75 * line.size or restyled
                or (current_bullet and line.box.x0 < current[0][0].box.x0 - 1)
            )
            if starts_new:
                flush()
        if not current:
            current_bullet = bullet
        current.append((line, body))
        i += 1
    flush()
    return blocks


BADGE = re.compile(r"^\d{1,3}$")


def badges_to_items(blocks: list[Block]) -> list[Block]:
    """A bare number printed beside the first line of a text block (a numbered circle or tile) numbers that
    block: "7" + "Déployer les formations…" -> "7. Déployer les formations…"."""
    badges = [b for b in blocks if b.kind == "text" and b.box is not None and BADGE.match(b.text.strip())]
    if not badges:
        return blocks
    used: set[int] = set()
    numbered: dict[int, Block] = {}
    for badge in badges:
        bb = badge.box
        assert bb is not None
        best: Block | None = None
        best_distance: float | None = None
        for b in blocks:
            if b is badge or b.kind != "text" or b.box is None or id(b) in numbered or BADGE.match(b.text.strip()):
                continue
            gap = b.box.x0 - bb.x1
            first_line_bottom = b.box.top + 1.6 * b.size
            beside = -1 <= gap <= 4 * max(badge.size, b.size) and badge.size <= 1.6 * b.size
            level = bb.top - 0.6 * b.size <= b.box.top <= bb.bottom and first_line_bottom >= bb.top
            # or centred just above the block (a numbered circle over a tile's caption)
            # (a key figure's caption below a big number, "3" over "axes", is not numbered: much larger, one word)
            below = 0 <= b.box.top - bb.bottom <= max(3 * b.size, 1.5 * badge.size, 24.0) and \
                abs((b.box.x0 + b.box.x1) / 2 - (bb.x0 + bb.x1) / 2) <= max(b.box.width / 4, badge.size) and \
                badge.size <= 3 * b.size and len(b.text.split()) >= 3
            if (beside and level) or below:
                distance = gap if beside and level else b.box.top - bb.bottom
                if best is None or best_distance is None or distance < best_distance:
                    best, best_distance = b, distance
        if best is not None:
            used.add(id(badge))
            box = best.box.union(bb) if best.box is not None else bb
            numbered[id(best)] = replace(best, text=f"{badge.text.strip()}. {best.text}", box=box)
    return [numbered.get(id(b), b) for b in blocks if id(b) not in used]
