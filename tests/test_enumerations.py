"""enumerations.py: declared counts and enumerations read from small block lists (no PDF).

Every territory name and wording here is invented; each test names the class of documents it stands for."""

from __future__ import annotations

import pytest

from pipeline.enumerations import (
    Enumeration,
    blocks_to_enumerations,
    prose_to_announcement,
    sentence_to_announcement,
    text_to_items,
)
from pipeline.html import html_to_document
from pipeline.model import Block


def _blocks(html: str) -> list[Block]:
    return list(html_to_document(f"<html><body>{html}</body></html>").blocks)


def _block(text: str, kind: str = "text", bold: bool = False, size: float = 10.0, page: int = 1) -> Block:
    return Block(text=text, kind=kind, page=page, box=None, size=size, bold=bold)  # type: ignore[arg-type]


def _items(e: Enumeration) -> list[str]:
    return [t for t, _ in e.items]


# ---------------------------------------------------------------- sentence_to_announcement
def test_announcement_with_a_list_to_follow() -> None:
    """A plan that says "se décline en N axes :" and prints its list below."""
    a = sentence_to_announcement("Le contrat de Valbrune se décline en 4 axes :")
    assert a is not None
    assert (a.kind, a.noun, a.strength, a.count, a.rest, a.additive) == ("axes", "axes", "strong", 4, "", False)


def test_announcement_with_its_items_in_the_sentence() -> None:
    """A brochure that names its themes in the announcing sentence, count in words and an adjective between."""
    a = sentence_to_announcement("Le CLS de Montclair s'organise autour de cinq grandes thématiques : le sport, "
                                 "l'alimentation, le sommeil, les écrans et le lien social.")
    assert a is not None
    assert (a.noun, a.count) == ("thématiques", 5)
    assert a.rest == "le sport, l'alimentation, le sommeil, les écrans et le lien social"


def test_vague_count_gives_no_count() -> None:
    """"plusieurs axes prioritaires :" announces a list whose length the document does not give."""
    a = sentence_to_announcement("Le contrat de la vallée repose sur plusieurs axes prioritaires :")
    assert a is not None and a.count is None


def test_weak_noun_is_weak_and_action_nouns_announce_actions() -> None:
    """"trois objectifs :" may be axes only when nothing stronger is found; "Les 5 actions phares :" lists actions."""
    weak = sentence_to_announcement("Le programme poursuit trois objectifs : informer, orienter et soigner.")
    actions = sentence_to_announcement("Les 5 actions phares du contrat :")
    assert weak is not None and (weak.kind, weak.strength) == ("axes", "weak")
    assert actions is not None and (actions.kind, actions.count) == ("actions", 5)


@pytest.mark.parametrize("sentence", [
    # a neighbouring or earlier contract: its list is not this contract's
    "Le contrat de la communauté voisine avait retenu trois axes : l'eau, l'air et le bruit.",
    "Le précédent contrat s'articulait autour de deux axes : la prévention et les soins.",
    # a noun with a colon in a sentence about something else (no determiner, no count, no "suivants")
    "Priorités : à définir avec les élus en juin",
    # counts without a colon are declared counts (segment.text_to_declared), not an enumeration
    "Le CLS de Valbrune compte 3 axes et 21 actions.",
])
def test_not_an_announcement(sentence: str) -> None:
    """Sentences that name axes but announce no list of this contract's axes."""
    assert sentence_to_announcement(sentence) is None


def test_additive_announcement() -> None:
    """A revised contract: "deux nouveaux axes" join the axes already listed."""
    a = sentence_to_announcement("Depuis l'avenant, deux nouveaux axes : la santé des jeunes et le sport.")
    assert a is not None and a.additive and a.count == 2


# ---------------------------------------------------------------- text_to_items
def test_items_split_by_commas_with_an_oxford_et() -> None:
    """"a, b, c, et d": the comma before the last "et" does not make an empty or "et …" item."""
    assert text_to_items("la nutrition, le sommeil, la santé mentale, et le cadre de vie", 4) == [
        "la nutrition", "le sommeil", "la santé mentale", "le cadre de vie"]


def test_semicolons_win_over_commas_and_parentheses_are_kept_whole() -> None:
    """Items with inner commas: ";" separates items, a comma inside parentheses never does."""
    assert text_to_items("créer un lieu d'écoute (jeunes, parents) ; équiper les cabinets, les salles ; "
                         "former les aidants", None) == [
        "créer un lieu d'écoute (jeunes, parents)", "équiper les cabinets, les salles", "former les aidants"]


def test_ordinals_start_items() -> None:
    """A press text: "d'abord, … ; ensuite, … ; enfin, …"."""
    assert text_to_items("d'abord, recruter des infirmiers ; ensuite, ouvrir un centre ; enfin, informer "
                         "les familles", None) == [
        "recruter des infirmiers", "ouvrir un centre", "informer les familles"]


def test_declared_count_decides_which_et_splits() -> None:
    """"la prévention et la promotion de la santé" is one item when three are declared."""
    assert text_to_items("l'accès aux soins, la prévention et la promotion de la santé et la santé mentale", 3) == [
        "l'accès aux soins", "la prévention et la promotion de la santé", "la santé mentale"]


def test_more_commas_than_declared_items_are_merged() -> None:
    """An infinitive item with its own inner enumeration: "Agir sur l'accès aux soins, aux droits et …"."""
    assert text_to_items("Agir sur l'accès aux soins, aux droits et à la prévention, Soutenir la santé mentale", 2) \
        == ["Agir sur l'accès aux soins, aux droits et à la prévention", "Soutenir la santé mentale"]


def test_mais_aussi_starts_the_last_item() -> None:
    """"…, la santé mentale, mais aussi les déterminants …": "mais aussi" is a separator, not part of an item."""
    assert text_to_items("le sport, la santé mentale, mais aussi les déterminants environnementaux", None) == [
        "le sport", "la santé mentale", "les déterminants environnementaux"]


@pytest.mark.parametrize("word", ["Ouvrir", "Outiller", "Etendre", "Etablir"])
def test_an_item_starting_like_a_conjunction_keeps_its_first_word(word: str) -> None:
    """Items printed without accents or starting with "Ou…": only a whole leading "et"/"ou" is dropped."""
    assert text_to_items(f"{word} les permanences ; Former les aidants ; et recruter", None) == [
        f"{word} les permanences", "Former les aidants", "recruter"]


# ---------------------------------------------------------------- prose_to_announcement
def test_prose_quote() -> None:
    """A press article quoting an elected official: the axes are inside the quote, no "N axes :"."""
    a = prose_to_announcement("« Nous avons défini nos axes prioritaires », explique la présidente, « recruter des "
                              "soignants, accompagner les aidants et prévenir les chutes »", None)
    assert a is not None and a.rest == "recruter des soignants, accompagner les aidants et prévenir les chutes"


def test_prose_copula_gives_the_count() -> None:
    """"X, Y et Z sont les trois axes du contrat": the list comes before the noun."""
    a = prose_to_announcement("Le logement, l'emploi et la mobilité sont les trois axes du contrat.", None)
    assert a is not None and (a.count, a.rest) == (3, "Le logement, l'emploi et la mobilité")


def test_prose_anaphora_reads_the_previous_sentence() -> None:
    """"Il s'agit des principaux axes" after the sentence that lists them; without that sentence, nothing."""
    previous = "La jeunesse, le handicap et le grand âge au cœur des objectifs."
    a = prose_to_announcement("Il s'agit des principaux axes de travail.", previous)
    assert a is not None and a.rest == "La jeunesse, le handicap et le grand âge"
    assert prose_to_announcement("Il s'agit des principaux axes de travail.", None) is None


def test_prose_without_an_enumeration_is_not_an_announcement() -> None:
    """A council report mentioning the axes of a budget, with no list."""
    assert prose_to_announcement("Le conseil a débattu des axes du budget annexe.", None) is None


# ---------------------------------------------------------------- blocks_to_enumerations
def test_announced_bullets_agree_with_the_count() -> None:
    """A web page: "se décline en 3 axes :" then a bulleted list; the paragraph after the list is not an item."""
    found = blocks_to_enumerations(_blocks(
        "<p>Le contrat de Valbrune se décline en 3 axes :</p><ul><li>Prévenir les chutes</li>"
        "<li>Soutenir les aidants</li><li>Attirer des soignants</li></ul><p>Le comité se réunit chaque année.</p>"))
    assert len(found) == 1
    e = found[0]
    assert (e.source, e.index, e.agrees) == ("list", 0, True)
    assert _items(e) == ["Prévenir les chutes", "Soutenir les aidants", "Attirer des soignants"]


def test_a_count_that_disagrees_with_the_list_is_kept_but_does_not_agree() -> None:
    """"4 axes :" over three bullets: the list is evidence, but it does not agree with the declared count."""
    found = blocks_to_enumerations(_blocks(
        "<p>Le contrat se décline en 4 axes :</p><ul><li>Prévenir</li><li>Soutenir</li><li>Soigner</li></ul>"
        "<h2>Gouvernance</h2>"))
    assert [(len(e.items), e.announcement.count, e.agrees) for e in found] == [(3, 4, False)]


def test_heading_over_a_numbered_list() -> None:
    """A web page heading "Nos priorités" over an ordered list: no count, the list items are the axes."""
    found = blocks_to_enumerations(_blocks(
        "<h3>Nos priorités</h3><ol><li>Accès aux soins</li><li>Santé mentale</li></ol>"))
    assert [(e.announcement.noun, e.announcement.count, _items(e)) for e in found] == [
        ("priorités", None, ["Accès aux soins", "Santé mentale"])]


def test_a_key_figure_tile_is_not_an_announcement() -> None:
    """A brochure's plain "4 axes" tile above unrelated bullets announces nothing."""
    blocks = [_block("4 axes"), _block("Un diagnostic partagé", "bullet"), _block("Des élus mobilisés", "bullet")]
    assert blocks_to_enumerations(blocks) == []


def test_count_sentence_over_headings_of_one_style() -> None:
    """A report: "… autour de 3 axes stratégiques." then one bold heading per axis, each with its own text."""
    blocks = [_block("Le programme s'est construit autour de 3 axes stratégiques."),
              _block("Vieillir chez soi", bold=True, size=14), _block("Le territoire compte de nombreux aînés. Texte."),
              _block("Soigner près de chez soi", bold=True, size=14), _block("Texte."),
              _block("Respirer un air sain", bold=True, size=14), _block("Texte."),
              _block("Gouvernance", bold=True, size=14)]
    found = blocks_to_enumerations(blocks)
    assert [(e.source, _items(e), e.agrees) for e in found] == [
        ("list", ["Vieillir chez soi", "Soigner près de chez soi", "Respirer un air sain"], True)]


def test_sentence_continued_in_the_next_blocks() -> None:
    """A PDF paragraph split into blocks: "… 3 axes majeurs :" / "la nutrition, le sport" / "et le sommeil."."""
    found = blocks_to_enumerations([_block("Le CLS de Valbrune retient 3 axes majeurs :"),
                                    _block("la nutrition, le sport"), _block("et le sommeil.")])
    assert [(e.source, _items(e)) for e in found] == [("sentence", ["la nutrition", "le sport", "le sommeil"])]


def test_decorations_between_items_are_skipped() -> None:
    """A slide: a big "3" and "axes" tile, a lone bullet sign, between the announcement and its items."""
    found = blocks_to_enumerations([_block("Le contrat se décline en 3 axes :"), _block("3"), _block("axes"),
                                    _block("Prévenir", "bullet"), _block("•"), _block("Soutenir", "bullet"),
                                    _block("Soigner", "bullet")])
    assert [_items(e) for e in found] == [["Prévenir", "Soutenir", "Soigner"]]


def test_numbered_circles_on_the_announcements_page() -> None:
    """A slide: "Cinq priorités … :" with numbered circles placed after a caption in reading order."""
    blocks = [_block("Cinq priorités guident le contrat :"),
              _block("La présidente de l'intercommunalité a présenté la démarche aux habitants réunis en mairie."),
              *[_block(f"{k}. Priorité {word}") for k, word in enumerate(["un", "deux", "trois", "quatre", "cinq"], 1)]]
    found = blocks_to_enumerations(blocks)
    assert [_items(e) for e in found] == [[f"Priorité {w}" for w in ["un", "deux", "trois", "quatre", "cinq"]]]


def test_a_table_column_headed_axis() -> None:
    """An action table whose first column, "Axe stratégique", repeats each axis per row: distinct axes, in order."""
    found = blocks_to_enumerations(_blocks(
        "<table><tr><th>Axe stratégique</th><th>Action</th></tr><tr><td>Prévention</td><td>Ateliers</td></tr>"
        "<tr><td>Prévention</td><td>Dépistage</td></tr><tr><td>Offre de soins</td><td>Maison de santé</td></tr>"
        "</table>"))
    assert [(e.source, _items(e)) for e in found] == [("table", ["Prévention", "Offre de soins"])]


def test_figures_listed_after_a_colon_are_not_an_enumeration_of_axes() -> None:
    """A diagnosis: "Quelques chiffres clés :" over figure bullets announces no axes."""
    assert blocks_to_enumerations(_blocks(
        "<p>Quelques chiffres clés :</p><ul><li>12 % de plus de 75 ans</li>"
        "<li>3 médecins pour 10 000 habitants</li></ul>")) == []


def test_announced_actions_are_kind_actions() -> None:
    """A news page: "Les 3 actions prioritaires :" over bullets is a list of actions, not of axes."""
    found = blocks_to_enumerations(_blocks(
        "<p>Les 3 actions prioritaires :</p><ul><li>Créer une maison de santé</li><li>Recruter un coordinateur</li>"
        "<li>Former les aidants</li></ul>"))
    assert [(e.announcement.kind, len(e.items)) for e in found] == [("actions", 3)]


def test_additive_sentence_after_the_main_one() -> None:
    """A contract with "un axe transversal" added in its own sentence: one item, marked additive."""
    found = blocks_to_enumerations(_blocks(
        "<p>Le CLS se décline en 2 axes : la prévention et l'accès aux soins. "
        "Un axe transversal s'ajoute : la communication.</p>"))
    assert [(e.announcement.additive, _items(e)) for e in found] == [
        (False, ["la prévention", "l'accès aux soins"]), (True, ["la communication"])]
