"""Pages -> document: tables, running furniture, reading order and blocks for a whole file.

  1. ruled tables are taken out of each page first (pipeline/tables.py), so their words never join the flow;
  2. running headers/footers and page numbers are set aside (pipeline/blocks.lines_to_furniture);
  3. borderless label/value tables are found among the remaining lines;
  4. the rest is cut into regions in reading order and made into blocks (pipeline/blocks.py);
  5. each table becomes one "table" block, placed before the first block of its page that starts below its top.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import replace

from pipeline.blocks import badges_to_items, lines_to_furniture, lines_to_regions, region_to_blocks, words_to_lines
from pipeline.model import Block, Document, Line, Page, PageReading, Table
from pipeline.tables import lines_to_aligned_tables, page_to_ruled_tables


def table_to_block(table: Table) -> Block:
    texts = [c.text for c in sorted(table.cells, key=lambda c: (c.row, c.col)) if c.text]
    sizes = [b.size for c in table.cells for b in c.blocks]
    return Block(text=" | ".join(texts), kind="table", page=table.page, box=table.box,
                 size=statistics.median(sizes) if sizes else 10.0, bold=False,
                 region=min((b.region for c in table.cells for b in c.blocks), default=0), table=table)


def _place(blocks: list[Block], tables: list[Table]) -> list[Block]:
    out = list(blocks)
    for table in sorted(tables, key=lambda t: t.box.top if t.box else 0.0):
        top = table.box.top if table.box else 0.0
        idx = next((i for i, b in enumerate(out) if b.kind != "table" and b.box is not None and b.box.top >= top),
                   len(out))
        out.insert(idx, table_to_block(table))
    return out


# A font is bold by its name ("Arial-BoldMT", "Calibri,Bold"); printers that rename fonts ("TT5C6t00", PScript5)
# hide it. Then the same words printed in two fonts at one size tell: a bold face is wider than its regular one.
_STYLED_NAME = re.compile(r"bold|black|heavy|semibold|demi|italic|oblique|light|regular|regu|mono|roman|book|medium"
                          r"|,b\b|-b\b",
                          re.I)
BOLD_WIDTH_RATIO = 1.01  # median width ratio of the same words, bold face over regular face (Calibri: ~1.02)
BOLD_WIDER_SHARE = 0.85  # share of those words wider in the bold face (another family would be wider and narrower)
BOLD_MIN_SHARED = 5  # words printed in both fonts needed to judge
BOLD_MAX_RATIO = 1.15  # a face much wider than the body (a monospace, a display face) is another design


def pages_to_bold_fonts(pages: Sequence[Page]) -> set[str]:
    """Fonts whose names say nothing of their weight but whose words are wider than the same words in the body
    font at the same size: bold faces."""
    chars: dict[str, int] = {}
    for p in pages:
        for w in p.words:
            chars[w.font] = chars.get(w.font, 0) + len(w.text)
    opaque = [f for f in chars if f and not _STYLED_NAME.search(f)]
    if len(opaque) < 2:
        return set()
    body = max(opaque, key=lambda f: chars[f])
    widths: dict[tuple[str, float, str], list[float]] = {}
    for p in pages:
        for w in p.words:
            if w.font in opaque and len(w.text) >= 2 and w.text.isalpha() and w.box.width > 0:
                widths.setdefault((w.font, round(w.size * 2) / 2, w.text), []).append(w.box.width)
    bold: set[str] = set()
    for font in opaque:
        if font == body:
            continue
        ratios = []
        for (f, size, text), ws in widths.items():
            if f != font:
                continue
            ref = widths.get((body, size, text))
            if ref:
                ratios.append(statistics.median(ws) / statistics.median(ref))
        ratios.sort()
        if (len(ratios) >= BOLD_MIN_SHARED and BOLD_WIDTH_RATIO <= statistics.median(ratios) <= BOLD_MAX_RATIO
                and ratios[int(0.9 * (len(ratios) - 1))] <= BOLD_MAX_RATIO
                and sum(r > 1.0 for r in ratios) >= BOLD_WIDER_SHARE * len(ratios)):
            bold.add(font)
    return bold


def _with_bold(page: Page, bold: set[str]) -> Page:
    if not bold or not any(w.font in bold for w in page.words):
        return page
    return replace(page, words=tuple(replace(w, bold=True) if w.font in bold and not w.bold else w
                                     for w in page.words))


def pages_to_document(pages: Sequence[Page]) -> Document:
    bold = pages_to_bold_fonts(pages)
    pages = [_with_bold(p, bold) for p in pages]
    region = 0
    per_page: list[tuple[Page, list[Line], list[Table]]] = []
    for page in pages:
        tables, words = page_to_ruled_tables(page, region)
        region += len(tables)
        per_page.append((page, words_to_lines(replace(page, words=tuple(words))), tables))
    drop, furniture = lines_to_furniture([(p, lines) for p, lines, _ in per_page])
    blocks: list[Block] = []
    for page, lines, tables in per_page:
        body = [ln for ln in lines if id(ln) not in drop]
        aligned, body = lines_to_aligned_tables(body, page.number, region)
        region += len(aligned)
        page_blocks: list[Block] = []
        for leaf in lines_to_regions(body):
            page_blocks.extend(region_to_blocks(leaf, region))
            region += 1
        blocks.extend(_place(badges_to_items(page_blocks), [*tables, *aligned]))
    sizes = [w.size for p in pages for w in p.words for _ in range(min(len(w.text), 20))]
    body_size = statistics.median(sizes) if sizes else 10.0
    readings = tuple(PageReading(p.number, p.triage, p.triage_reason, p.method, p.confidence, len(p.words))
                     for p in pages)
    ocr_words = tuple((p.number, w.box, w.confidence) for p in pages for w in p.words if w.confidence is not None)
    return Document(blocks=tuple(blocks), furniture=tuple(furniture), pages=len(pages), body_size=body_size,
                    readings=readings, ocr_words=ocr_words)
