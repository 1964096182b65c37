"""blocks.py: reading order, furniture, stacked year tiles, bullets, hyphenation, two-column tables."""

from __future__ import annotations

from functools import cache

from pipeline.blocks import _join, region_to_blocks
from pipeline.document import pages_to_document
from pipeline.layout import pdf_to_pages
from pipeline.model import Box, Document, Line, Word
from pipeline.ocr import FONT as OCR_FONT
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


def _line(text: str, top: float, size: float, bold: bool, font: str) -> Line:
    words, x = [], 60.0
    for t in text.split():
        width = 0.5 * size * len(t)
        words.append(Word(t, Box(x, top, x + width, top + size), font, size, bold))
        x += width + 0.3 * size
    return Line(tuple(words), Box(60.0, top, x, top + size), 1)


def test_a_scanned_paragraphs_last_line_measured_lighter_stays_in_its_paragraph() -> None:
    """OCR measures weight and size line by line: a bold paragraph's short last line read as regular and half a
    point larger still goes on with the sentence above it (the beauvaisis twin lost its list of axes so)."""
    lines = [_line("Il rassemble les acteurs autour d'objectifs communs : prévention, accès aux", 100, 10.0,
                   True, OCR_FONT),
             _line("soins, santé mentale et soutien aux professionnels.", 113, 10.5, False, OCR_FONT),
             _line("Depuis 2017, le CLS accompagne les habitants.", 126, 10.0, True, OCR_FONT)]
    blocks = region_to_blocks(lines, 0)
    assert [b.text for b in blocks] == [
        "Il rassemble les acteurs autour d'objectifs communs : prévention, accès aux soins, santé mentale et "
        "soutien aux professionnels.", "Depuis 2017, le CLS accompagne les habitants."]


def test_a_text_layer_keeps_its_style_rule_and_ocr_a_sentence_end() -> None:
    text_layer = [_line("Les priorités du contrat", 100, 10.0, True, "Arial-Bold"),
                  _line("sont au nombre de quatre.", 114, 10.0, False, "Arial")]
    assert len(region_to_blocks(text_layer, 0)) == 2
    ended = [_line("Le contrat est signé :", 100, 10.0, True, OCR_FONT),
             _line("la commune et l'ARS.", 113, 10.0, False, OCR_FONT)]
    assert len(region_to_blocks(ended, 0)) == 2
