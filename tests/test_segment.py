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
    # a title in capitals, its particles put back in lower case, acronyms kept
    ("CONTRAT LOCAL DE SANTÉ HAUTE-SAINTONGE ET VAL DE SEUGNE · 2023-2027", "Haute-Saintonge et Val de Seugne"),
    ("CONTRAT LOCAL DE SANTÉ DU PETR DU PAYS DE LA DÉODATIE", "PETR du Pays de la Déodatie"),
    # a kind word after the name, a lower-case "pays", a lower-case adjective, a dash inside the name
    ("Le conseil communautaire de Vitré Communauté a voté le contrat local de santé.", "Vitré Communauté"),
    ("Le CLS a été signé par les intercommunalités du pays de Morlaix.", "Pays de Morlaix"),
    ("Le contrat local de santé du Pays châtelleraudais est signé.", "Pays châtelleraudais"),
    ("Une deuxième version du CLS de Grand Paris - Grand Est a été signée.", "Grand Paris - Grand Est"),
    ("Le contrat local de santé des Territoires Ruraux du Lunévillois 2022-2026", "Territoires Ruraux du Lunévillois"),
    ("Contrat local de santé des vallées catalanes du Tech et du Haut-Vallespir",
     "Vallées catalanes du Tech et Haut-Vallespir"),
    ("Le 3 mai 2024, la commune de Saint-Pierre a officialisé la signature de son CLS.", "Saint-Pierre"),
    ("Métropole du Grand Reims", "Grand Reims"),
    # "Pays de la Loire" is the region, not a contracting pays
    ("L’ARS Pays de la Loire et la Communauté de communes du Pays de Craon signent le CLS.", "Pays de Craon"),
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


def test_territory_printed_again_wins_over_a_name_read_once() -> None:
    """A news card after "contrat local de santé" and a president's name after "Communauté d’agglomération"
    are read once; the contracting territory is printed again."""
    texts = ["Pays Voisin : à quoi sert le contrat local de santé La Gazette du Centre",
             "Le Président de la Communauté d’agglomération Jean Martin a signé.",
             "La Communauté d’agglomération Val de Loing signe son contrat local de santé.",
             "Val de Loing : les habitants au cœur du contrat."]
    assert text_to_territory(texts, R) == "Val de Loing"


def test_a_common_word_after_cls_is_not_a_territory() -> None:
    texts = ["CLS Création d’une maison de santé", "La création d’un poste, la création d’un lieu",
             "Signé par la Ville de Montargis"]
    assert text_to_territory(texts, R) == "Montargis"


def test_a_longer_name_read_first_keeps_its_parts() -> None:
    texts = ["Les communautés de communes de Cœur de Brenne et de Brenne Val de Creuse signent le contrat",
             "Brenne Val de Creuse Communauté", "Brenne Val de Creuse Communauté finance le poste."]
    assert text_to_territory(texts, R) == "Cœur de Brenne et Brenne Val de Creuse"


def test_a_line_break_in_html_ends_a_line_as_a_browser_shows_it() -> None:
    """A footer "<b>Communauté d'Agglomération de X</b><br>Town · Département" is two lines: the territory is X,
    not X followed by the next line's town."""
    doc = _doc("<div><b>Communauté d’Agglomération de Val-Sud</b><br>Valbourg · Somme</div>"
               "<p>Le contrat local de santé de la Communauté d’Agglomération de Val-Sud est signé.</p>")
    assert [(b.text, b.bold) for b in doc.blocks][:2] == [
        ("Communauté d’Agglomération de Val-Sud", True), ("Valbourg · Somme", False)]
    assert document_to_tree(doc).territory == "Val-Sud"


def test_a_paragraph_without_line_breaks_stays_one_block() -> None:
    doc = _doc("<p>Le CLS comprend <b>trois axes</b> et <i>douze actions</i> en 2025</p>")
    assert [b.text for b in doc.blocks] == ["Le CLS comprend trois axes et douze actions en 2025"]
