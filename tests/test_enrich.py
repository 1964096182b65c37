"""pipeline/enrich.py: themes, partners, publics, indicators, governance, contacts, territory facts, with the
real rule files and the real French spaCy model."""

from __future__ import annotations

import pytest

from pipeline.enrich import (
    _pilot_items,
    actions_to_people,
    blocks_to_contacts,
    blocks_to_governance,
    blocks_to_indicators,
    territory_to_kind,
    text_to_themes,
    texts_to_department,
    texts_to_generation,
)
from pipeline.model import Block
from pipeline.rules import vocabularies
from pipeline.segment import Node
from pipeline.sheets import Sheet

V = vocabularies()


def _block(text: str, page: int = 1) -> Block:
    return Block(text=text, kind="text", page=page, box=None, size=10.0, bold=False)


def _codes(text: str) -> list[str]:
    return [t.code for t in text_to_themes(text, V)]


@pytest.mark.parametrize(("title", "themes"), [
    ("Prévenir les conduites addictives chez les jeunes", ["addictions"]),  # general prevention yields
    ("Repérage précoce (alcool, tabac, cannabis)", ["addictions"]),  # screening of addictions is addictions
    ("Éducation thérapeutique", ["etp"]),  # "thérapeutique" is not "tiques"
    ("Accessibilité universelle, balades urbaines", []),  # "urbaines" is not "aînés"
    ("Adapter le transport à la demande aux rendez-vous médicaux", ["acces-aux-soins"]),  # not "sport"
    ("Prévenir la perte d’autonomie des seniors", ["parcours-personnes-agees"]),
    ("Lutter contre l’habitat indigne et la précarité énergétique", ["sante-environnement", "precarite"]),
])
def test_themes_come_from_titles_with_their_rules(title: str, themes: list[str]) -> None:
    assert sorted(_codes(title)) == sorted(themes)


def test_weak_words_count_only_when_nothing_else_does() -> None:
    assert _codes("Prévention des chutes") == ["promotion-sante"]  # "chutes" alone is weak
    assert _codes("Ateliers chutes") == ["parcours-personnes-agees"]
    evidence = text_to_themes("Développer la télémédecine", V)[0].evidence
    assert evidence == "title: télémédecine"


def test_pilot_cells_split_on_slashes_and_roles_name_their_organisations() -> None:
    assert _pilot_items("Coordinatrice CLS (CC APS et CC CNJ)") == ["CC APS", "CC CNJ"]
    assert _pilot_items("CC Arbois, Poligny, Salins – Cœur du Jura / ARS") == [
        "CC Arbois, Poligny, Salins – Cœur du Jura", "ARS"]


def test_partners_and_publics_of_actions_through_the_span_ruler() -> None:
    sheet = Sheet(pilot="Département du Pas-de-Calais", partners=[
        "Conseil départemental de l’Ordre des médecins du Cantal", "CAF", "Association des amis du musée"],
        publics=["Parents d’enfants de 0 à 6 ans", "arsenal des jeunes"])
    node = Node("action", "1", "Ouvrir une antenne de la Maison des adolescents", _block("x"), sheet=sheet)
    (got,) = actions_to_people([node])
    assert got.pilots == ("Conseil départemental",)
    assert got.partners == ("Conseil départemental", "Maison des adolescents", "Ordre des médecins",
                            "Caisse d'allocations familiales", "Association des amis du musée")
    assert "Agence régionale de santé" not in got.partners  # "arsenal" is not the ARS: acronyms are case-exact
    assert set(got.publics) == {"jeunes", "petite enfance et parentalité"}


def test_acronyms_match_in_capitals_only_and_names_in_any_case() -> None:
    from pipeline.nlp import texts_to_mentions

    got = texts_to_mentions(["Partenaires : MSA, la caisse d’allocations familiales et l'ARS", "la caf, les ars",
                             "CAF"])
    assert got[0].partners == ("Mutualité sociale agricole", "Caisse d'allocations familiales",
                               "Agence régionale de santé")
    assert got[1].partners == ()  # "caf", "ars": words, not the acronyms
    assert got[2].partners == ("Caisse d'allocations familiales",)


def test_department_from_names_and_postcodes_not_from_region_or_territory_names() -> None:
    assert texts_to_department(["Agence régionale de santé Pays de la Loire"], V) == (None, None)
    texts = ["Angers Loire Métropole, 83 rue du Mail, 49000 Angers"]
    assert texts_to_department(texts, V, "Angers Loire Métropole") == ("49", "Pays de la Loire")
    assert texts_to_department(["Le contrat du Cantal (15)"], V) == ("15", "Auvergne-Rhône-Alpes")


def test_generation_and_territory_kind() -> None:
    assert texts_to_generation(["Ce troisième contrat local de santé"], V) == 3
    assert texts_to_generation(["Le CLS 2 de la ville"], V) == 2
    assert texts_to_generation(["Un contrat local de santé pour 2025-2029"], V) is None
    assert territory_to_kind("Laval Agglomération", [], V) == "agglomération"
    assert territory_to_kind("Ernée", ["La communauté de communes de l’Ernée signe"], V) == "EPCI"


def test_indicators_are_figures_with_units_not_years_or_counts_of_actions() -> None:
    blocks = [_block("Un territoire sous-doté (6 médecins pour 10 000 habitants en 2021)."),
              _block("Fin 2022, 14 % des habitants bénéficient de la Complémentaire santé solidaire."),
              _block("Le plan compte 4 axes et 32 actions pour 2025-2029.")]
    found = blocks_to_indicators(blocks, V)
    assert [(i.value, i.unit, i.year) for i in found] == [(6.0, "pour 10 000 habitants", 2021), (14.0, "%", 2022)]


def test_governance_bodies_and_personal_contacts() -> None:
    blocks = [_block("Un comité de pilotage (COPIL) réunit les signataires ; le COTECH prépare ses travaux."),
              _block("Coordinatrice du CLS : Mme Claire Martin, claire.martin@ville.fr, 02 43 00 00 00", 4)]
    assert [(b.name, b.acronym) for b in blocks_to_governance(blocks, V)] == [
        ("Comité de pilotage", "COPIL"), ("Comité technique", "COTECH"), ("Coordination du CLS", None)]
    contacts = {(c.kind, c.value, c.role, c.page) for c in blocks_to_contacts(blocks, V)}
    assert contacts == {("person", "Claire Martin", "coordinateur", 4),
                        ("email", "claire.martin@ville.fr", "coordinateur", 4),
                        ("phone", "02 43 00 00 00", "coordinateur", 4)}
