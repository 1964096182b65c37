"""segment.py: metadata rules on French text, and the structure rules on block sequences."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.html import html_to_document
from pipeline.model import Block
from pipeline.rules import structure_rules
from pipeline.segment import (
    NotACLS,
    clean_title,
    document_to_tree,
    text_to_declared,
    text_to_period,
    text_to_signed_on,
    text_to_territory,
)

R = structure_rules()


@pytest.mark.parametrize(("text", "expected"), [
    ("LES ENJEUX DU CLS 2025-2029 :", (2025, 2029)),
    ("un Contrat local de santé intercommunal (CLSi) pour la période 2024 – 2028.", (2024, 2028)),
    ("Le contrat est conclu pour cinq ans à compter de 2024.", (2024, 2028)),
    ("une évaluation globale sera réalisée à l’issue des trois années, en 2026.", (2023, 2026)),
    ("Phase 1 (janvier 2022 – mai 2022) → diagnostic", (None, None)),
    ("entre 2020 et 2022 les effectifs ont augmenté", (None, None)),
])
def test_period(text: str, expected: tuple[int | None, int | None]) -> None:
    assert text_to_period([text], R) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Les partenaires ont approuvé et signé le contrat local de santé le 9 décembre 2025", date(2025, 12, 9)),
    ("Contrat signé le 1er février 2024 à Laval.", date(2024, 2, 1)),
    ("Fait et signé à Angers le 09/12/2025", date(2025, 12, 9)),
    ("Page modifiée le mercredi 2 avril 2025", None),
])
def test_signed_on(text: str, expected: date | None) -> None:
    assert text_to_signed_on([text], R) == expected


@pytest.mark.parametrize(("text", "axes", "actions"), [
    ("5 AXES ET 32 ACTIONS", 5, 32),
    ("Quatre axes stratégiques ont été retenus pour ce premier CLS, desquels découlent 17 actions.", 4, 17),
    ("Six enjeux structurent le contrat. Onze actions sont formulées.", 6, 11),
    ("S’engager à conduire, chaque année, trois à quatre actions phares", None, None),
])
def test_declared_counts(text: str, axes: int | None, actions: int | None) -> None:
    assert text_to_declared([text], R, "declared_axes") == axes
    assert text_to_declared([text], R, "declared_actions") == actions


@pytest.mark.parametrize(("text", "expected"), [
    ("Contrat local de santé d’Angers Loire Métropole", "Angers Loire Métropole"),
    ("Contrat local de santé de l’Ernée et du Bocage mayennais", "Ernée et Bocage mayennais"),
    ("Coordinatrice du CLS Laval Agglomération", "Laval Agglomération"),
    ("Pour renforcer sa politique de santé, Le Mans Métropole a signé avec l'ARS", "Le Mans Métropole"),
])
def test_territory(text: str, expected: str) -> None:
    assert text_to_territory([text], R) == expected


def test_clean_title_drops_numbering_separators_but_keeps_ellipsis() -> None:
    assert clean_title("• Recensement des lieux de pratiques sportives et adaptés, ") == \
        "Recensement des lieux de pratiques sportives et adaptés"
    title = "Impacts comportements à risques, harcèlement…"
    assert clean_title(title) == title


def _doc(html: str):  # noqa: ANN202
    return html_to_document(f"<html><body>{html}</body></html>")


def test_restarting_numbered_lists_in_year_groups() -> None:
    tree = document_to_tree(_doc(
        "<h1>Le contrat local de santé de Testville</h1><h2>Actions</h2>"
        "<h3>Dès 2025</h3><ol><li>Première.</li><li>Deuxième.</li></ol>"
        "<h3>À partir de 2026</h3><ol><li>Troisième.</li></ol>"))
    assert [(a.number, a.title, a.years) for a in tree.actions] == [
        ("1", "Première", [2025]), ("2", "Deuxième", [2025]), ("1", "Troisième", [2026])]
    assert tree.territory == "Testville"


def test_examples_of_actions_are_not_actions() -> None:
    tree = document_to_tree(_doc(
        "<p>Contrat local de santé de Testville</p><h2>Axe 1 : Accès aux soins</h2>"
        "<p>Action 1 : Installer des médecins</p><h3>Quelques exemples d’actions</h3>"
        "<ul><li>Action 9 : ceci est un exemple</li></ul>"))
    assert [a.title for a in tree.actions] == ["Installer des médecins"]
    assert tree.actions[0].axis == "1"


def test_declared_count_mismatch_is_a_warning() -> None:
    tree = document_to_tree(_doc("<p>Contrat local de santé de Testville : 3 axes et 12 actions.</p>"
                                 "<h2>Axe 1 : Prévention</h2><p>Action 1 : Dépister</p>"))
    codes = {code for code, _ in tree.warnings}
    assert codes == {"DECLARED_AXES_MISMATCH", "DECLARED_ACTIONS_MISMATCH"}


def test_a_document_that_is_not_a_cls_is_refused() -> None:
    with pytest.raises(NotACLS):
        document_to_tree(_doc("<h1>Rapport annuel</h1><p>Axe 1 : Budget</p>"))


def test_year_blocks_from_pdf_tiles_are_recognised() -> None:
    tile = Block(text="2026", kind="year", page=1, box=None, size=20, bold=True, year=2026)
    from pipeline.strategies import _year_label

    assert _year_label(tile, R) == 2026


def test_territory_stops_at_the_end_of_the_name() -> None:
    text = "Le Contrat local de santé de l’Ernée et du Bocage mayennais fera l’objet de points d’étape annuels"
    assert text_to_territory([text], R) == "Ernée et Bocage mayennais"
