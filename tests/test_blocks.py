"""blocks.py: reading order, furniture, stacked year tiles, bullets, hyphenation, two-column tables."""

from __future__ import annotations

from functools import cache

from pipeline.blocks import _join
from pipeline.document import pages_to_document
from pipeline.layout import pdf_to_pages
from pipeline.model import Document
from tests.conftest import FIXTURES


@cache
def doc(slug: str) -> Document:
    return pages_to_document(pdf_to_pages(FIXTURES / slug / "source.pdf"))


def _index(d: Document, start: str) -> int:
    return next(i for i, b in enumerate(d.blocks) if b.text.startswith(start))


def test_stacked_year_tiles_are_years() -> None:
    years = [b for b in doc("angers-loire-metropole").blocks if b.kind == "year"]
    assert [b.year for b in years if b.page == 6] == [2026, 2027, 2028]
    assert all(b.text.isdigit() and len(b.text) == 4 for b in years)


def test_running_header_and_page_numbers_are_set_aside() -> None:
    d = doc("ernee-bocage-mayennais")
    assert d.furniture == ("Contrat local de santé de l’Ernée et du Bocage mayennais",)
    assert not any(b.text.startswith("Contrat local de santé de l’Ernée") for b in d.blocks)
    assert not any(b.text.strip().isdigit() for b in d.blocks)


def test_cards_are_read_left_to_right_then_down_whatever_the_stream_order() -> None:
    d = doc("laval-agglomeration")  # AXE 5 is stored before AXE 4 in the PDF
    order = [_index(d, f"AXE {n} :") for n in range(1, 6)]
    assert order == sorted(order)


def test_heading_column_beside_items_is_read_row_by_row() -> None:
    d = doc("ernee-bocage-mayennais")
    assert _index(d, "Axe stratégique 2") < _index(d, "Action 6 ") < _index(d, "Action 12 ") \
        < _index(d, "Axe stratégique 3") < _index(d, "Action 13 ") < _index(d, "Axe stratégique 4") \
        < _index(d, "Action 15 ")


def test_bullets_in_symbol_fonts_are_bullets_not_text() -> None:
    d = doc("ernee-bocage-mayennais")
    bullets = [b for b in d.blocks if b.kind == "bullet"]
    assert bullets and not any(b.text.startswith(("•", "\uf0b7")) for b in bullets)


def test_hyphenation_at_line_end() -> None:
    assert _join(["la pluriprofes-", "sionnalité"]) == "la pluriprofessionnalité"
    assert _join(["favoriser le bien-", "être des usagers"]) == "favoriser le bien-être des usagers"
    assert _join(["Saint-", "Nazaire"]) == "Saint-Nazaire"
