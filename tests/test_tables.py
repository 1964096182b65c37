"""Tables and the structures of the wider corpus (issue #3), on the real fixture PDFs and pages."""

from __future__ import annotations

import pytest

from pipeline.model import Block, Box, Cell, Line, Word
from pipeline.rules import structure_rules, table_rules
from pipeline.segment import text_to_period, text_to_signed_on
from pipeline.sheets import cell_items, schedule_to_years
from tests.conftest import FIXTURES, extraction_of


@pytest.mark.parametrize(("text", "years"), [
    ("2025-2027", [2025, 2026, 2027]), ("2023 – 2027", [2023, 2024, 2025, 2026, 2027]), ("2025 et 2027", [2025, 2027]),
    ("Dès 2025", [2025]), ("À partir de 2026", [2026]), ("1er semestre 2026", [2026]), ("Durée du CLS", []),
    ("En continu", []), (None, []),
])
def test_schedule_to_years(text: str | None, years: list[int]) -> None:
    assert schedule_to_years(text, structure_rules()) == years


@pytest.mark.parametrize(("label", "field"), [
    ("Public(s) cible(s) :", "publics"), ("Porteur de l’action", "pilot"), ("Indicateurs d’évaluation", "indicators"),
    ("Calendrier prévisionnel", "schedule"), ("Objectif opérationnel", "objective"), ("Intitulé de l’action", "title"),
    ("Partenaires associés", "partners"), ("Description", "description"), ("Les enjeux du territoire", None),
])
def test_fiche_labels_come_from_the_rules_file(label: str, field: str | None) -> None:
    assert table_rules().field_of(label) == field


def _cell(*texts: str, kind: str = "text") -> Cell:
    return Cell(0, 1, 1, 1, None, tuple(Block(t, kind, 1, None, 10.0, False) for t in texts))  # type: ignore[arg-type]


def test_list_cells_split_into_items() -> None:
    assert cell_items(_cell("CPAM du Jura ; MSA ; Centre hospitalier de Dole.")) == ["CPAM du Jura", "MSA",
                                                                                     "Centre hospitalier de Dole"]
    assert cell_items(_cell("Agents municipaux, animateurs et éducateurs jeunesse")) == [
        "Agents municipaux", "animateurs et éducateurs jeunesse"]
    assert cell_items(_cell("Adultes en affection de longue durée (diabète, obésité)")) == [
        "Adultes en affection de longue durée (diabète, obésité)"]
    assert cell_items(_cell("Collèges", "Missions locales", kind="bullet")) == ["Collèges", "Missions locales"]
    assert cell_items(_cell("-")) == []


@pytest.mark.parametrize(("text", "period"), [
    ("Le contrat local de santé couvre la période 2023 – 2027.", (2023, 2027)),
    ("Le présent contrat est conclu pour cinq ans à compter de 2024.", (2024, 2028)),
    ("Le CLS 2025-2029 de la communauté", (2025, 2029)),
])
def test_period_forms(text: str, period: tuple[int, int]) -> None:
    assert text_to_period([text], structure_rules()) == period


def test_signing_date_forms_and_earlier_contracts() -> None:
    rules = structure_rules()
    assert str(text_to_signed_on(["Le contrat a été signé le 9 décembre 2025 à Angers."], rules)) == "2025-12-09"
    assert str(text_to_signed_on(["Contrat signé à Caussade, le 09/12/2025."], rules)) == "2025-12-09"
    # a neighbour's or an earlier contract is not this one
    assert text_to_signed_on(["La communauté voisine avait signé le sien le 5 novembre 2014."], rules) is None


def test_fiche_tables_become_actions_with_their_sheet() -> None:
    got = extraction_of(FIXTURES / "bethune-bruay-artois-lys-romane" / "source.pdf")
    by_number = {a.number: a for a in got.actions}
    assert len(got.actions) == 9  # the annex recap table repeats them: kept once, with the fiche's sheet
    eight = by_number["8"]
    assert eight.sheet is not None and eight.page == 4
    # the Partenaires cell breaks across pages 4-5 in the middle of "CPAM de / l’Artois"
    assert "CPAM de l’Artois" in eight.sheet.partners
    four = by_number["4"]  # fiche 4 is split over two tables on pages 3 and 4
    assert four.sheet is not None and four.sheet.schedule == "Dès janvier 2025" and four.years == [2025]
    assert four.axis == "2" and four.objective == "Aller au-devant des habitants des communes rurales"


def test_borderless_fiches_are_found_from_label_alignment() -> None:
    got = extraction_of(FIXTURES / "quercy-caussadais-quercy-vert-aveyron" / "source.pdf")
    assert len(got.actions) == 10 and all(a.sheet is not None and a.sheet.pilot for a in got.actions)
    assert got.contract.period_start == 2024 and got.contract.period_end == 2028


def test_grid_tables_with_merged_cells_and_ticked_years() -> None:
    got = extraction_of(FIXTURES / "aubrac-carladez-viadene" / "source.pdf")
    assert len(got.axes) == 5 and len(got.actions) == 19
    assert all(a.years for a in got.actions)
    # action 3.4 starts page 3 under the empty continuation of merged cells: same axis as on page 2
    last = next(a for a in got.actions if a.number == "3.4")
    assert last.page == 3 and last.axis == "3"


def test_html_tables_with_band_rows() -> None:
    got = extraction_of(FIXTURES / "saint-leu" / "source.html")
    assert [a.title[:20] for a in got.axes] == [a.title[:20] for a in
                                                extraction_of(FIXTURES / "saint-leu" / "source.pdf").axes]
    assert len(got.actions) == 17 and all(a.sheet is not None for a in got.actions)


def test_prose_enumerations_skip_other_contracts() -> None:
    got = extraction_of(FIXTURES / "baronnies-en-drome-provencale" / "source.pdf")
    assert [a.title for a in got.axes] == ["la prévention", "la promotion de la santé", "l’accès aux soins",
                                           "l’accompagnement médico-social"]
    ordinal = extraction_of(FIXTURES / "saint-martin" / "source.pdf")
    assert len(ordinal.axes) == 4 and ordinal.axes[2].title.startswith("l’amélioration de l’attractivité")


def test_numbered_circles_and_unnumbered_bullets() -> None:
    msm = extraction_of(FIXTURES / "mont-saint-michel-normandie" / "source.pdf")
    numbered = {a.number for a in msm.actions} & {str(n) for n in range(1, 27)}
    assert len(numbered) >= 22  # numbered circles printed beside their action (a few are read apart: see eval)
    pantin = extraction_of(FIXTURES / "pantin" / "source.pdf")
    assert len(pantin.actions) == 21 and all(a.number is None for a in pantin.actions)
    tagged = next(a for a in pantin.actions if a.title.startswith("Accompagner l’installation"))
    assert tagged.years == [2025, 2026] and not tagged.title.endswith("2026")


def _line(text: str, x0: float, top: float) -> Line:
    box = Box(x0, top, x0 + 6 * len(text), top + 10)
    return Line(words=(Word(text, box, "F", 10.0, False),), box=box, page=1)


def test_a_label_column_with_print_on_its_right_only_below_it_is_not_a_table() -> None:
    """An OCR'd page: three field labels stacked at one x (a scanned brochure's key words) and text to their
    right only further down: not a label/value table, and no crash (was min() of an empty sequence)."""
    from pipeline.tables import lines_to_aligned_tables

    lines = [_line("Pilote", 50, 100), _line("Partenaires", 50, 115), _line("Calendrier", 50, 130),
             _line("Un paragraphe plus bas sur la page", 200, 400)]
    tables, rest = lines_to_aligned_tables(lines, 1, 0)
    assert tables == [] and rest == lines


def test_a_label_column_with_values_on_its_right_is_a_table() -> None:
    from pipeline.tables import lines_to_aligned_tables

    lines = [_line("Pilote", 50, 100), _line("Ville de Mornac", 200, 100), _line("Partenaires", 50, 115),
             _line("CPAM, CAF", 200, 115), _line("Calendrier", 50, 130), _line("2026", 200, 130)]
    tables, rest = lines_to_aligned_tables(lines, 1, 0)
    assert len(tables) == 1 and rest == []
    assert [c.text for c in tables[0].cells] == ["Pilote", "Ville de Mornac", "Partenaires", "CPAM, CAF",
                                                 "Calendrier", "2026"]
