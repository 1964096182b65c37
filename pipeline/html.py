"""HTML page -> blocks, through a real HTML parser (selectolax/lexbor), into the same block model as PDFs.

Headings keep their level (h1..h6, bold); list items become bullets, items of ordered lists keep their
number ("3. …"); navigation, scripts and styles are left out. HTML has no pages: every block is on page 1
and has no bounding box.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.blocks import LIGATURES
from pipeline.model import Block, Cell, Document, Table

SKIP = {"script", "style", "noscript", "nav", "svg", "template", "button", "form", "iframe", "head"}
BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "figcaption", "dt", "dd",
              "blockquote", "caption", "summary", "pre", "address"}
BODY_SIZE = 10.0
HEADING_SIZE = {1: 24.0, 2: 18.0, 3: 14.0, 4: 12.0, 5: 11.0, 6: 10.5}


def _text(node: LexborNode) -> str:
    text = node.text(deep=True, separator=" ", strip=False)
    return re.sub(r"\s+", " ", text.translate(LIGATURES)).strip()


_BLOCK_SELECTOR = ",".join(sorted(BLOCK_TAGS | {"div", "ul", "ol", "table", "section", "article", "main",
                                                  "figure", "aside", "header", "footer"}))


def _lines(node: LexborNode) -> list[tuple[str, bool]]:
    """The lines of a leaf element as a browser shows them: split at each <br>, each with whether it is all bold
    (a footer's "<b>Communauté d'Agglomération de Lens-Liévin</b><br>Lens · Pas-de-Calais" is two lines, not one
    name running into the next line's town)."""
    parts: list[list[str]] = [[]]
    bold_parts: list[list[bool]] = [[]]

    def collect(n: LexborNode, bold: bool) -> None:
        for c in n.iter(include_text=True):
            if c.tag == "br":
                parts.append([])
                bold_parts.append([])
            elif c.tag == "-text":
                text = c.text(deep=True)
                parts[-1].append(text)
                if text.strip():
                    bold_parts[-1].append(bold)
            elif c.tag not in SKIP:
                collect(c, bold or c.tag in {"b", "strong"})

    collect(node, False)
    lines = []
    for words, bolds in zip(parts, bold_parts, strict=True):
        text = re.sub(r"\s+", " ", "".join(words).translate(LIGATURES)).strip()
        if text:
            lines.append((text, bool(bolds) and all(bolds)))
    return lines


def _has_block_child(node: LexborNode) -> bool:
    return any(d.mem_id != node.mem_id for d in node.css(_BLOCK_SELECTOR))


def _all_bold(node: LexborNode) -> bool:
    """The whole text of the node is inside one <strong>/<b>."""
    strong = node.css_first("strong, b")
    return strong is not None and _text(strong) == _text(node)


def _span(node: LexborNode, name: str) -> int:
    value = node.attributes.get(name) or "1"
    return max(int(value), 1) if value.isdigit() else 1


def _cell_blocks(node: LexborNode) -> tuple[Block, ...]:
    items = node.css("li")
    bold = node.tag == "th" or _all_bold(node)
    if items:
        return tuple(Block(text=_text(li), kind="bullet", page=1, box=None, size=BODY_SIZE, bold=False)
                     for li in items if _text(li))
    parts = [_text(p) for p in node.css("p")] or [_text(node)]
    return tuple(Block(text=t, kind="text", page=1, box=None, size=BODY_SIZE, bold=bold) for t in parts if t)


def _table(node: LexborNode) -> Table | None:
    """<table> -> Table on a grid, with colspan/rowspan (a cell's <li> items and <p> paragraphs as its blocks)."""
    rows = node.css("tr")
    taken: set[tuple[int, int]] = set()
    cells: list[Cell] = []
    n_cols = 0
    for r, tr in enumerate(rows):
        c = 0
        for td in tr.iter(include_text=False):
            if td.tag not in {"td", "th"}:
                continue
            while (r, c) in taken:
                c += 1
            span_c, span_r = _span(td, "colspan"), min(_span(td, "rowspan"), len(rows) - r)
            for dr in range(span_r):
                for dc in range(span_c):
                    taken.add((r + dr, c + dc))
            cells.append(Cell(r, c, span_r, span_c, None, _cell_blocks(td)))
            c += span_c
            n_cols = max(n_cols, c)
    if not cells or len(rows) < 2 or n_cols < 2:
        return None
    return Table(1, None, len(rows), n_cols, tuple(cells), "html")


def html_to_document(html: str) -> Document:
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    blocks: list[Block] = []

    def emit(text: str, kind: str, level: int | None, bold: bool) -> None:
        if text:
            size = HEADING_SIZE.get(level or 0, BODY_SIZE)
            blocks.append(Block(text=text, kind=kind, page=1, box=None, size=size, bold=bold,  # type: ignore[arg-type]
                                region=len(blocks), level=level))

    def walk(node: LexborNode) -> None:
        for child in node.iter(include_text=False):
            tag = child.tag
            if tag in SKIP or tag is None or tag.startswith("-"):
                continue
            if tag == "table":
                table = _table(child)
                if table is not None:
                    texts = [c.text for c in table.cells if c.text]
                    blocks.append(Block(text=" | ".join(texts), kind="table", page=1, box=None, size=BODY_SIZE,
                                        bold=False, region=len(blocks), table=table))
                continue
            if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
                emit(_text(child), "text", int(tag[1]), True)
            elif tag == "li":
                parent = child.parent
                if _has_block_child(child):
                    walk(child)
                    continue
                text = _text(child)
                if parent is not None and parent.tag == "ol":
                    siblings = [c for c in parent.iter(include_text=False) if c.tag == "li"]
                    start = int(parent.attributes.get("start") or 1)
                    number = start + next(i for i, c in enumerate(siblings) if c.mem_id == child.mem_id)
                    emit(f"{number}. {text}", "text", None, False)
                else:
                    emit(text, "bullet", None, False)
            elif _has_block_child(child):  # containers (div, section, ul…) and blocks holding blocks
                walk(child)
            elif child.css_first("br") is not None:
                for text, bold in _lines(child):
                    emit(text, "text", None, bold)
            elif tag in BLOCK_TAGS:
                emit(_text(child), "text", None, _all_bold(child))
            else:  # inline elements and leaf containers
                emit(_text(child), "text", None, False)

    if root is not None:
        walk(root)
    return Document(blocks=tuple(blocks), furniture=(), pages=1, body_size=BODY_SIZE)
