"""layout.py: real PDFs through pdfplumber -> positioned words with fonts; bad files -> DocumentError."""

from __future__ import annotations

import pytest

from pipeline import errors
from pipeline.extract import file_to_extraction
from pipeline.isolate import ParserWorker, pdf_to_pages_isolated
from pipeline.layout import BACKENDS, pdf_to_pages
from tests.conftest import DATA, FIXTURES

MALFORMED = DATA / "malformed"


def test_words_carry_position_font_and_weight() -> None:
    pages = pdf_to_pages(FIXTURES / "ernee-bocage-mayennais" / "source.pdf")
    assert [p.number for p in pages] == [1, 2, 3, 4]
    axe = next(w for w in pages[2].words if w.text == "stratégique")
    assert axe.bold and axe.size == pytest.approx(11.0, abs=0.1)
    assert 0 < axe.box.x0 < axe.box.x1 < pages[2].width
    action = next(w for w in pages[2].words if w.text == "Action")
    assert not action.bold


def test_filled_shapes_become_marks() -> None:
    pages = pdf_to_pages(FIXTURES / "le-mans-metropole" / "source.pdf")
    dots = [m for p in pages for m in p.marks if m.kind == "dot"]
    assert len(dots) >= 6  # the six enjeux bullets are drawn circles, not characters


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "reason"), [
    ("pdfminer.six--aes-256.pdf", errors.ENCRYPTED),
    ("pdf.js--bug1250079.pdf", errors.CORRUPT),
])
def test_bad_pdfs_raise_document_error_with_reason(name: str, reason: str, backend: str) -> None:
    with pytest.raises(errors.DocumentError) as info:
        pdf_to_pages(MALFORMED / name, backend)
    assert info.value.reason == reason
    assert name in str(info.value)


def test_a_fuzzed_pdf_is_corrupt_for_pdfminer_and_a_blank_page_for_pdfium() -> None:
    path = MALFORMED / "pdf.js--PDFBOX-3148-2-fuzzed.pdf"
    with pytest.raises(errors.DocumentError) as info:
        pdf_to_pages(path, "pdfplumber")
    assert info.value.reason == errors.CORRUPT
    with pytest.raises(errors.DocumentError) as info:
        file_to_extraction(path)  # PDFium repairs the file: one page, no characters
    assert info.value.reason == errors.BLANK  # nothing drawn either: not an OCR case


def test_a_hanging_pdf_is_killed_by_the_time_limit_and_the_worker_replaced() -> None:
    worker = ParserWorker()
    try:
        first = worker.parse(FIXTURES / "le-mans-metropole" / "source.pdf")
        pid = worker.pid
        assert worker.parse(FIXTURES / "le-mans-metropole" / "source.pdf") == first
        assert worker.pid == pid  # one process serves many documents
        with pytest.raises(errors.DocumentError) as info:
            worker.parse(MALFORMED / "pdf.js--issue12295.pdf", timeout_s=1, backend="pdfplumber")  # ~10 s
        assert info.value.reason == errors.TIMEOUT
        assert worker.pid is None  # killed
        assert worker.parse(FIXTURES / "le-mans-metropole" / "source.pdf") == first
        assert worker.pid not in (None, pid) and worker.starts == 2
    finally:
        worker.close()


def test_isolated_parse_returns_the_same_pages_as_in_process() -> None:
    path = FIXTURES / "laval-agglomeration" / "source.pdf"
    assert pdf_to_pages_isolated(path, timeout_s=60) == pdf_to_pages(path)
