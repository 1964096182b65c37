"""Issue #8: page triage, OCR of pages without a usable text layer (real Tesseract on real scans), honest
confidence, quarantine when OCR cannot run, and the warehouse's `pages`."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import errors, ocr
from pipeline.extract import file_to_extraction
from pipeline.isolate import render_page_isolated
from pipeline.layout import pdf_to_pages
from tests.conftest import FIXTURES, extraction_of
from warehouse import store

SCAN = FIXTURES / "le-mans-metropole-scan" / "source.pdf"
MIXED = FIXTURES / "est-cantal-mixed" / "source.pdf"
TAM = FIXTURES.parent.parent / "shared" / "corpora" / "realworld-pdfs" / "pdf.js--TAMReview.pdf"


def test_triage_tells_text_layers_from_scans_and_broken_maps() -> None:
    assert {p.triage for p in pdf_to_pages(FIXTURES / "le-mans-metropole" / "source.pdf")} == {"ok"}
    first = pdf_to_pages(SCAN)[0]
    assert first.triage == "missing" and "image" in first.triage_reason
    mixed = [p.triage for p in pdf_to_pages(MIXED)]
    assert mixed == ["ok", "ok", "ok", "ok", "missing", "missing"]
    if TAM.exists():  # glyphs without a Unicode mapping
        second = pdf_to_pages(TAM)[1]
        assert second.triage == "unusable" and "Unicode" in second.triage_reason


def test_a_scanned_contract_is_read_by_ocr_with_its_confidence() -> None:
    x = extraction_of(SCAN)
    assert [p.method for p in x.pages] == ["ocr", "ocr"]
    assert all(p.ocr_confidence is not None and p.ocr_confidence > 80 and p.words > 100 for p in x.pages)
    titles = {a.title for a in x.actions}
    assert "Promouvoir l'activité physique des jeunes" in titles
    assert len(x.actions) == 11 and {y for a in x.actions for y in a.years} == {2025, 2026}
    # Items carry provenance (page, box) and the mean confidence of their words.
    assert all(a.page in (1, 2) and a.bbox is not None and a.ocr_confidence and a.ocr_confidence > 50
               for a in x.actions)


def test_a_mixed_document_reads_typed_pages_from_text_and_scanned_pages_by_ocr() -> None:
    x = extraction_of(MIXED)
    assert [p.method for p in x.pages] == ["text"] * 4 + ["ocr"] * 2
    text_items = [a for a in x.actions if a.page is not None and a.page <= 4]
    ocr_items = [a for a in x.actions if a.page is not None and a.page >= 5]
    assert text_items and all(a.ocr_confidence is None for a in text_items)
    assert ocr_items and all(a.ocr_confidence is not None for a in ocr_items)


def test_without_tesseract_a_scan_is_quarantined_and_a_mixed_document_says_what_it_skipped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLSDATA_TESSERACT", "/nonexistent/tesseract")
    ocr.unavailable.cache_clear()
    try:
        with pytest.raises(errors.DocumentError) as caught:
            file_to_extraction(SCAN)
        assert caught.value.reason == errors.NO_TEXT == "no text layer and OCR unavailable/failed"
        assert str(SCAN) in caught.value.one_line() and "2 of 2 pages" in caught.value.detail
        x = file_to_extraction(MIXED)
        assert [p.method for p in x.pages][4:] == ["none", "none"]
        assert "Tesseract not found" in x.pages[4].reason
        assert any(w.code == "PAGES_NOT_READ" and "5, 6" in w.message for w in x.warnings)
    finally:
        monkeypatch.delenv("CLSDATA_TESSERACT")
        ocr.unavailable.cache_clear()


def test_ocr_results_are_cached_by_image_and_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLSDATA_OCR_CACHE", str(tmp_path))
    png = render_page_isolated(SCAN, 2, 150)
    first = ocr.image_to_ocr_page(png, 150 / 72)
    # One entry for the page, and one for each zone of light print or numbered circle read on its own.
    entries = sorted(tmp_path.rglob("*.json"))
    assert entries
    assert ocr.image_to_ocr_page(png, 150 / 72) == first and first.words
    assert sorted(tmp_path.rglob("*.json")) == entries  # the second reading is served from the cache


def test_the_warehouse_records_how_each_page_was_read(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with store.connect(db) as con:
        store.load_extraction(con, extraction_of(MIXED))
        rows = con.execute("SELECT page, triage, method, ocr_confidence IS NOT NULL FROM pages "
                           "ORDER BY page").fetchall()
        assert rows == [(1, "ok", "text", False), (2, "ok", "text", False), (3, "ok", "text", False),
                        (4, "ok", "text", False), (5, "missing", "ocr", True), (6, "missing", "ocr", True)]
        unread = store.pages_not_from_text(con, [str(MIXED)])
        assert [(r[1], r[2]) for r in unread] == [(5, "ocr"), (6, "ocr")]
        assert con.execute("SELECT count(*) FROM actions WHERE ocr_confidence IS NOT NULL").fetchone()[0] > 0


def test_the_review_page_shows_a_scan_with_the_boxes_of_its_ocr_items(tmp_path: Path) -> None:
    import shutil

    from fastapi.testclient import TestClient

    from review.app import create_app

    shutil.copytree(SCAN.parent, tmp_path / "fixtures" / SCAN.parent.name, ignore=shutil.ignore_patterns("generator"))
    client = TestClient(create_app(tmp_path / "fixtures"), base_url="http://127.0.0.1")
    got = client.get(f"/api/documents/{SCAN.parent.name}").json()
    actions = [b for b in got["boxes"] if b["kind"] == "actions"]
    assert got["pages"] == 2 and len(actions) == 11
    assert all(b["page"] in (1, 2) and b["bbox"] is not None for b in actions)
    assert len(got["tree"]["actions"]) == 11  # the gold (the original's)
    image = client.get(f"/api/documents/{SCAN.parent.name}/page/2")
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"


_SETTINGS = ocr.ocr_rules()["ocr"]  # the project's colon_* values


def _gap_after_a_word(marks: list[tuple[int, int, int, int]]) -> tuple[object, dict[str, list[object]]]:
    """A 60 x 300 page: a 'word' (solid ink, 40 px high) at x 20-120, the next word at x 200-280, and `marks`
    (x0, top, x1, bottom) drawn in the gap between them; Tesseract's data for the two words."""
    import numpy as np

    gray = np.full((60, 300), 235, dtype=np.uint8)
    gray[10:50, 20:120] = 30
    gray[10:50, 200:280] = 30
    for x0, y0, x1, y1 in marks:
        gray[y0:y1, x0:x1] = 30
    data: dict[str, list[object]] = {"level": [5, 5], "page_num": [1, 1], "block_num": [1, 1], "par_num": [1, 1],
                                     "line_num": [1, 1], "word_num": [1, 2], "left": [20, 200], "top": [10, 10],
                                     "width": [100, 80], "height": [40, 40], "conf": [95, 95],
                                     "text": ["déclinés", "l'attractivité"]}
    return gray, data


def test_a_colon_standing_alone_that_tesseract_left_out_is_put_back() -> None:
    """French print sets a colon apart ("déclinés : l'attractivité, …"); Tesseract often drops it, and the list
    it announces is lost. Two small dots one above the other in the gap after a word are a colon."""
    gray, data = _gap_after_a_word([(150, 24, 156, 30), (150, 42, 156, 48)])
    got = ocr._lost_colons(data, gray, ocr._levels(gray), _SETTINGS)  # type: ignore[arg-type]
    assert got["text"] == ["déclinés", ":", "l'attractivité"]
    assert got["left"][1] == 150 and got["line_num"][1] == 1


@pytest.mark.parametrize("marks", [
    [],  # an empty gap
    [(150, 42, 156, 48)],  # a full stop standing alone
    [(140, 28, 170, 32)],  # a dash
    [(150, 24, 156, 30), (150, 42, 156, 48), (165, 42, 171, 48)],  # more than a colon: not read as one
    [(150, 12, 156, 48)],  # a bar
], ids=["empty", "full-stop", "dash", "three-dots", "bar"])
def test_other_marks_in_a_gap_are_not_colons(marks: list[tuple[int, int, int, int]]) -> None:
    gray, data = _gap_after_a_word(marks)
    assert ocr._lost_colons(data, gray, ocr._levels(gray), _SETTINGS)["text"] == data["text"]  # type: ignore[arg-type]
