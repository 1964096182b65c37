"""The whole extraction chain for one file: bytes -> validated schemas.ContractExtraction.

    file ──sniff──> PDF  ──(child process, time/memory limits)── layout.pdf_to_pages (+ triage per page)
                          pages without a usable text layer ── ocr.image_to_ocr_page (Tesseract)
                                                  └── document.pages_to_document ──┐
                    HTML ── html.html_to_document ───────────────────────────────┤
                                      segment.document_to_tree <─────────────────┘
                                      nlp.texts_to_mentions (spaCy)
                                      tree_to_extraction -> pydantic validation
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError

from pipeline import EXTRACTOR_VERSION, errors, ocr
from pipeline.document import pages_to_document
from pipeline.enrich import Enrichment, ItemEnrichment, tree_to_enrichment
from pipeline.files import check_regular, not_regular
from pipeline.html import html_to_document
from pipeline.isolate import default_timeout_s, ocr_page_isolated, pdf_to_pages_isolated
from pipeline.layout import edges_to_grids
from pipeline.model import Box, Document, Page
from pipeline.nlp import acronyms, aggregate, texts_to_mentions
from pipeline.rules import ocr_rules
from pipeline.segment import Node, NotACLS, Tree, document_to_tree
from pipeline.triage import NEEDS_OCR
from schemas.extraction import (
    Action,
    ActionSheet,
    ActionStep,
    Axis,
    BBox,
    Contact,
    ContractExtraction,
    ContractInfo,
    DocumentInfo,
    ExtractionWarning,
    GovernanceBody,
    Indicator,
    Objective,
    PageReading,
    PartnerMention,
    PublicMention,
    Section,
    ThemeTag,
)

PDF, HTML = "application/pdf", "text/html"


def read_file(path: Path) -> bytes:
    """The bytes of a regular file. The file is opened without blocking and checked again once open, so a FIFO
    swapped in after the check cannot hang the run."""
    name = str(path)
    check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise errors.DocumentError(name, errors.UNREADABLE, exc.strerror or str(exc)) from exc
    try:
        what = not_regular(os.fstat(fd).st_mode)
        if what is not None:
            raise errors.DocumentError(name, errors.NOT_REGULAR, what)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError as exc:
        raise errors.DocumentError(name, errors.UNREADABLE, exc.strerror or str(exc)) from exc
    finally:
        os.close(fd)


def sniff_media_type(data: bytes, path: str) -> str:
    head = data[:1024]
    if b"%PDF-" in head:
        return PDF
    text = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:1024]:
        return HTML
    raise errors.DocumentError(path, errors.NOT_PDF, "no %PDF- header and no <html> tag")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bbox(box: Box | None) -> BBox | None:
    if box is None:
        return None
    return BBox(x0=round(box.x0, 2), top=round(box.top, 2), x1=round(box.x1, 2), bottom=round(box.bottom, 2))


def file_to_document(path: Path, data: bytes, media_type: str, timeout_s: float) -> Document:
    """Pages (or the HTML page) -> Document. Parsing and every page's OCR share the document's time limit
    (`timeout_s` in all) and run in the parser process, under its memory limit."""
    name = str(path)
    if media_type == HTML:
        return html_to_document(data.decode("utf-8", errors="replace"))
    deadline = time.monotonic() + timeout_s
    pages = pdf_to_pages_isolated(path, timeout_s=timeout_s)
    if not pages:
        raise errors.DocumentError(name, errors.CORRUPT, "no pages")
    sha = sha256_bytes(data)
    pages = _read_by_ocr(path, sha, pages, deadline, timeout_s)
    if not any(p.words for p in pages):
        unread = [p for p in pages if p.triage in NEEDS_OCR]
        if not unread:
            raise errors.DocumentError(name, errors.BLANK, f"{len(pages)} pages without characters")
        first = unread[0]
        raise errors.DocumentError(name, errors.NO_TEXT, f"{len(unread)} of {len(pages)} pages without usable "
                                                         f"text (page {first.number}: {first.triage_reason})")
    return pages_to_document(pages)


def _read_by_ocr(path: Path, sha: str, pages: list[Page], deadline: float, timeout_s: float) -> list[Page]:
    """Pages without a usable text layer, read by Tesseract, several at once (`ocr.workers()`), each page
    rendered and read in a parser process under the document's memory limit. A page is left unread (method
    'none', the reason said) when OCR is unavailable or fails on it (an oversize page among them); past the
    document's time or memory limit the whole document stops (DocumentError TIMEOUT / TOO_BIG)."""
    from clsdata.settings import current

    todo = [p for p in pages if p.triage in NEEDS_OCR]
    why = ocr.unavailable() if todo else None
    got: dict[int, ocr.OcrPage | str] = {}
    if todo and why is None:
        dpi = float(ocr_rules()["ocr"]["dpi"])
        max_pixels = current().ocr_max_pixels

        def read(number: int) -> ocr.OcrPage:
            left = deadline - time.monotonic()
            if left <= 0:
                raise errors.DocumentError(str(path), errors.TIMEOUT, f"no result after {timeout_s:g} s")
            return ocr_page_isolated(path, number, dpi, max_pixels, timeout_s=left)  # type: ignore[no-any-return]

        pool = _ocr_pool()
        running: dict[int, Future[ocr.OcrPage]] = {}
        try:
            for page in todo:
                cached = ocr.cached_page(sha, page.number)
                if cached is not None:
                    got[page.number] = cached
                else:
                    running[page.number] = pool.submit(read, page.number)
            for number, future in running.items():
                try:
                    result = future.result()
                except errors.DocumentError as exc:
                    if exc.reason in (errors.TIMEOUT, errors.TOO_BIG):
                        raise errors.DocumentError(str(path), exc.reason,
                                                   f"{exc.detail} (OCR of page {number})") from None
                    got[number] = f"OCR failed: {exc.detail or exc.reason}"
                else:
                    ocr.store_page(sha, number, result)
                    got[number] = result
        finally:
            for future in running.values():
                future.cancel()
            wait(running.values())
    out = []
    for page in pages:
        read_page = got.get(page.number, why) if page.triage in NEEDS_OCR else None
        if isinstance(read_page, ocr.OcrPage):
            grids = tuple(edges_to_grids(list(read_page.edges), read_page.words))
            page = replace(page, words=read_page.words, marks=read_page.marks, grids=grids, method="ocr",
                           confidence=read_page.confidence, chars=sum(len(w.text) for w in read_page.words))
        elif page.triage in NEEDS_OCR:
            page = replace(page, method="none", triage_reason=f"{page.triage_reason}; {read_page}")
        out.append(page)
    return out


_POOL: tuple[int, ThreadPoolExecutor] | None = None


def _ocr_pool() -> ThreadPoolExecutor:
    """One pool of OCR threads for the process, kept between documents: each thread keeps its own parser
    process (pipeline.isolate), so a run starts `ocr.workers()` of them once, not per document."""
    global _POOL
    size = ocr.workers()
    if _POOL is None or _POOL[0] != size:
        if _POOL is not None:
            _POOL[1].shutdown(wait=False)
        _POOL = (size, ThreadPoolExecutor(max_workers=size, thread_name_prefix="ocr"))
    return _POOL[1]


def _sheet(n: Node) -> ActionSheet | None:
    if n.sheet is None:
        return None
    s = n.sheet
    return ActionSheet(pilot=s.pilot, partners=s.partners, publics=s.publics, schedule=s.schedule,
                       indicators=s.indicators,
                       steps=[ActionStep(title=x.title, years=x.years, schedule=x.schedule) for x in s.steps])


def _themes(e: ItemEnrichment) -> list[ThemeTag]:
    return [ThemeTag(code=t.code, evidence=t.evidence) for t in e.themes]


def tree_to_extraction(tree: Tree, doc: Document, info: DocumentInfo,
                       enrichment: Enrichment | None = None) -> ContractExtraction:
    e = enrichment if enrichment is not None else tree_to_enrichment(tree, doc)
    item_nodes = [*tree.axes, *tree.objectives, *tree.actions]
    block_mentions = texts_to_mentions([b.text for b in doc.blocks])
    partners, publics = aggregate((b.page, m) for b, m in zip(doc.blocks, block_mentions, strict=True))
    acr = acronyms()
    page = {id(n): n.block.page for n in item_nodes}

    def common(n: Node) -> dict[str, object]:
        return {"number": n.number, "title": n.title, "page": page[id(n)], "bbox": _bbox(n.block.box),
                "ocr_confidence": _confidence(doc, n.block.page, n.block.box)}

    return ContractExtraction(
        extractor_version=EXTRACTOR_VERSION,
        document=info,
        contract=ContractInfo(
            document_kind=tree.document_kind, territory=tree.territory,  # type: ignore[arg-type]
            territory_kind=e.territory_kind if tree.territory else None,  # type: ignore[arg-type]
            department=e.department, region=e.region, generation=e.generation,
            period_start=tree.period_start, period_end=tree.period_end, signed_on=tree.signed_on,
            declared_axes=tree.declared_axes, declared_actions=tree.declared_actions,
        ),
        axes=[Axis(**common(n), themes=_themes(x)) for n, x in zip(tree.axes, e.axes, strict=True)],  # type: ignore[arg-type]
        objectives=[Objective(**common(n), axis=n.axis) for n in tree.objectives],  # type: ignore[arg-type]
        actions=[
            Action(**common(n), axis=n.axis, objective=n.objective, years=n.years,  # type: ignore[arg-type]
                   partners=list(x.partners), pilots=list(x.pilots), publics=list(x.publics), sheet=_sheet(n),
                   themes=_themes(x))
            for n, x in zip(tree.actions, e.actions, strict=True)
        ],
        partners=[PartnerMention(name=k, acronym=acr.get(k), mentions=len(v), pages=sorted(set(v)))
                  for k, v in partners.items()],
        publics=[PublicMention(label=k, mentions=len(v), pages=sorted(set(v))) for k, v in publics.items()],
        indicators=[Indicator(label=i.label, value=i.value, unit=i.unit, year=i.year, page=i.page, bbox=_bbox(i.box))
                    for i in e.indicators],
        governance=[GovernanceBody(name=g.name, acronym=g.acronym, pages=list(g.pages)) for g in e.governance],
        contacts=[Contact(kind=c.kind, value=c.value, role=c.role, page=c.page)  # type: ignore[arg-type]
                  for c in e.contacts],
        pages=[PageReading(page=r.number, triage=r.triage, reason=r.reason, method=r.method,  # type: ignore[arg-type]
                           ocr_confidence=r.confidence, words=r.words) for r in doc.readings],
        sections=[Section(title=x.title, level=x.level, role=x.role, evidence=x.evidence,
                          first_page=max(x.first_page, 1), last_page=max(x.last_page, x.first_page, 1))
                  for x in tree.sections],
        segmentation=list(tree.strategy),
        warnings=[*(ExtractionWarning(code=c, message=m) for c, m in tree.warnings), *_reading_warnings(doc)],
    )


def _confidence(doc: Document, page: int, box: Box | None) -> float | None:
    """Mean OCR confidence of the words inside an item's box; None for items not read by OCR."""
    if box is None or not doc.ocr_words:
        return None
    hits = [c for p, b, c in doc.ocr_words if p == page and box.x0 - 1 <= (b.x0 + b.x1) / 2 <= box.x1 + 1
            and box.top - 1 <= (b.top + b.bottom) / 2 <= box.bottom + 1]
    return round(sum(hits) / len(hits), 1) if hits else None


def _reading_note(doc: Document) -> str:
    """'; pages read by OCR: 2-5 (why)' for a quarantine's detail: a run reports OCR even on documents it
    does not load."""
    read = [r for r in doc.readings if r.method == "ocr"]
    if not read:
        return ""
    numbers = [r.number for r in read]
    spans: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        spans.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return f"; pages read by OCR: {', '.join(spans)} ({read[0].reason})"


def _reading_warnings(doc: Document) -> list[ExtractionWarning]:
    unread = [r for r in doc.readings if r.method == "none" and r.triage != "empty"]
    if not unread:
        return []
    pages = ", ".join(str(r.number) for r in unread)
    return [ExtractionWarning(code="PAGES_NOT_READ", message=f"pages {pages} have no usable text and were not "
                                                             f"read: {unread[0].reason}")]


def warm_up() -> None:
    """Load what the first extraction would otherwise pay for (rules checked, spaCy's model): Dask workers run
    this before their first task (flows/ingest.py)."""
    from pipeline.nlp import load_nlp, load_tagger
    from pipeline.rules import check_rules

    check_rules()
    load_nlp()
    load_tagger()  # the tagger that splits enumerations (pipeline/enumerations.py)


def file_to_extraction(path: Path, *, timeout_s: float | None = None) -> ContractExtraction:
    """Extract one PDF or HTML file. Raises errors.DocumentError naming the file and the reason."""
    timeout_s = timeout_s or default_timeout_s()
    path = Path(path)
    name = str(path)
    data = read_file(path)
    media_type = sniff_media_type(data, name)
    doc = file_to_document(path, data, media_type, timeout_s)
    info = DocumentInfo(sha256=sha256_bytes(data), path=name, media_type=media_type,  # type: ignore[arg-type]
                        pages=doc.pages)
    try:
        tree = document_to_tree(doc)
    except NotACLS as exc:
        raise errors.DocumentError(name, errors.NOT_CLS, f"{exc}{_reading_note(doc)}") from exc
    try:
        return tree_to_extraction(tree, doc, info)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise errors.DocumentError(name, errors.INVALID, f"{first['loc']}: {first['msg']}") from exc
