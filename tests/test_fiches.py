"""fiches.py on small block lists: fiches recognised by their labelled fields, whatever draws them.

Inputs are invented and stand for classes of documents: fiches as ruled tables, as "Label : value" paragraphs, as
headed paragraphs; fiches broken across pages; steps inside a fiche; tables that are grids or layout.
"""

from __future__ import annotations

import pytest

from pipeline.fiches import (
    Fiche,
    blocks_to_entries,
    entries_to_fiches,
    fiche_years,
    head_of,
    label_of,
    table_kind,
    value_to_steps,
)
from pipeline.html import html_to_document
from pipeline.model import Block, Document
from pipeline.rules import structure_rules

R = structure_rules()


def _html(body: str) -> Document:
    return html_to_document(f"<html><body>{body}</body></html>")


def _fiches(body: str, usable: set[int] | None = None) -> list[Fiche]:
    return entries_to_fiches(blocks_to_entries(_html(body), usable=usable))


def _block(text: str, kind: str = "text", bold: bool = False) -> Block:
    return Block(text=text, kind=kind, page=1, box=None, size=10.0, bold=bold)  # type: ignore[arg-type]


def _steps(*blocks: Block) -> list[tuple[str, list[int]]]:
    return [(s.title, s.years) for s in value_to_steps(list(blocks), R)]


# ---------------------------------------------------------------- head_of / label_of
@pytest.mark.parametrize(("text", "head"), [
    ("Fiche action n°4 : Prévenir les chutes", ("4", "Prévenir les chutes", False)),
    ("FA 1.2 Dépister le diabète", ("1.2", "Dépister le diabète", False)),
    ("Fiche projet N°2", ("2", None, False)),  # numbered per axis, title in the next block
    ("FICHE ACTION N°2.3", ("2.3", None, False)),
    ("Fiche action santé mentale n°2 : Écouter les jeunes", ("2", "Écouter les jeunes", False)),
    ("• Fiche action 5 - Bouger plus", ("5", "Bouger plus", False)),
    ("Action 3 – Créer un lieu d'écoute", ("3", "Créer un lieu d'écoute", True)),  # weak: a fiche only with fields
])
def test_head_of_reads_fiche_numbers(text: str, head: tuple[str, str | None, bool]) -> None:
    """The numbering forms of fiche headings across contracts."""
    assert head_of(text) == head


@pytest.mark.parametrize("text", [
    "Étape 2 : Former les bénévoles",  # a step of a fiche
    "Axe 1 : Prévenir",  # an axis
    "Action 3",  # a bare action number without a title
    "FA 12,5 % des habitants",  # a figure, not a code
    "Les fiches actions",  # a heading about fiches
])
def test_head_of_refuses_what_is_not_a_fiche_heading(text: str) -> None:
    assert head_of(text) is None


@pytest.mark.parametrize(("label", "name"), [
    ("Public(s) cible(s) :", "publics"),
    ("Porteur de projet", "pilot"),
    ("Partenaires associés", "partners"),
    ("Calendrier prévisionnel", "schedule"),
    ("Indicateurs d'évaluation", "indicators"),
    ("Axe stratégique", "axis"),
    ("Étapes de mise en œuvre", "steps"),
    ("Objectif", "objective"),  # one objective: a level of the plan
    ("Objectifs opérationnels", "goals"),  # the fiche's own goals
    ("Le médecin traitant", None),
    ("Pilote " + "x" * 60, None),  # too long for a label
])
def test_label_of_names_the_field(label: str, name: str | None) -> None:
    """Fiche labels as printed, with '(s)', accents, a colon, qualifiers."""
    assert label_of(label) == name


# ---------------------------------------------------------------- fiches from paragraphs
def test_label_value_paragraphs_make_a_fiche() -> None:
    """Fiches typed as paragraphs: a numbered title, then 'Pilote : …', 'Partenaires : …' lines."""
    fiches = _fiches("<p><b>Fiche action n°4 : Prévenir les chutes des aînés</b></p>"
                     "<p>Pilote : CCAS de Valbrune</p><p>Partenaires : CPAM, MSA, clubs sportifs</p>"
                     "<p>Public cible : personnes de plus de 65 ans</p><p>Calendrier : 2025-2027</p>"
                     "<p>La suite du document parle d'autre chose.</p>")
    assert len(fiches) == 1
    fiche = fiches[0]
    assert (fiche.number, fiche.title) == ("4", "Prévenir les chutes des aînés")
    assert fiche.sheet.pilot == "CCAS de Valbrune"
    assert fiche.sheet.partners == ["CPAM", "MSA", "clubs sportifs"]
    assert fiche.sheet.publics == ["personnes de plus de 65 ans"]
    assert fiche_years(fiche, R) == [2025, 2026, 2027]
    assert fiche.indices == {0, 1, 2, 3, 4}  # the paragraph after the fields is not the fiche's


def test_headed_paragraphs_make_a_fiche_titled_by_the_heading_above() -> None:
    """Fiches as short bold labels with their values in the paragraphs below, under an unnumbered title."""
    fiches = _fiches("<h3>Mieux dormir à tout âge</h3><p><b>Porteur</b></p><p>Centre hospitalier de Valbrune</p>"
                     "<p><b>Partenaires</b></p><p>ARS, CPAM</p><p><b>Calendrier</b></p><p>2024</p>")
    assert [(f.number, f.title, f.sheet.pilot, f.sheet.partners, f.sheet.schedule) for f in fiches] == [
        (None, "Mieux dormir à tout âge", "Centre hospitalier de Valbrune", ["ARS", "CPAM"], "2024")]


def test_a_bare_fiche_number_takes_its_title_from_the_next_block() -> None:
    """'FICHE ACTION N°9' on its own line, the title on the next: one fiche, with a single field is enough."""
    fiches = _fiches("<p><b>FICHE ACTION N°9</b></p><p>Accompagner les jeunes vers l'emploi</p>"
                     "<p>Pilote : Mission locale</p>")
    assert [(f.number, f.title, f.labels) for f in fiches] == [("9", "Accompagner les jeunes vers l'emploi",
                                                               ["pilot"])]


def test_an_action_heading_without_fields_is_not_a_fiche() -> None:
    """'Action N : …' headings followed by prose (a plan written as text) are not fiches; one with a pilot and
    partners is."""
    fiches = _fiches("<h3>Action 3 : Créer un lieu d'écoute</h3><p>Le lieu accueillera les jeunes.</p>"
                     "<h3>Action 4 : Informer les familles</h3><p>Pilote : Mairie</p>"
                     "<h3>Action 5 : Former les aidants</h3><p>Pilote : Mairie</p><p>Partenaires : ARS</p>")
    assert [(f.number, f.title) for f in fiches] == [("5", "Former les aidants")]


def test_fields_alone_need_two_known_fields_one_of_them_a_sheet_field() -> None:
    """Unnumbered fiches: 'Pilote' + 'Partenaires' make one; 'Objectifs' + 'Description' (a project text) do not."""
    assert [f.sheet.pilot for f in _fiches("<p>Pilote : Mairie</p><p>Partenaires : ARS</p>")] == ["Mairie"]
    assert _fiches("<p>Objectifs : réduire les inégalités</p><p>Description : des ateliers</p>") == []


def test_paragraphs_with_a_colon_are_not_fields_unless_the_label_is_known() -> None:
    """Prose with colons ('Remarque : …', 'Le médecin traitant : …') is text, never a fiche field."""
    entries = blocks_to_entries(_html("<p>Remarque : le projet est ambitieux</p>"
                                      "<p>Le médecin traitant : un rôle clé</p>"))
    assert [e.kind for e in entries] == ["text", "text"]


def test_a_bulleted_list_of_fiche_titles_is_not_a_run_of_fiches() -> None:
    """A summary listing 'Fiche action n°1 : …' as bullets: the bullets are not fiche heads."""
    entries = blocks_to_entries(_html("<ul><li>Fiche action n°1 : Former</li><li>Fiche action n°2 : Soigner</li>"
                                      "</ul><p>Pilote : Mairie</p>"))
    assert [e.kind for e in entries] == ["text", "text", "field"]
    assert entries_to_fiches(entries) == []


# ---------------------------------------------------------------- breaks
def test_an_axis_heading_closes_the_open_fiche() -> None:
    """Fiches grouped under axis headings: a field after the next axis heading is not the previous fiche's."""
    entries = blocks_to_entries(_html("<p><b>Fiche action n°1 : Former</b></p><p>Pilote : Mairie</p>"
                                      "<h2>Axe 2 : Soigner</h2><p>Partenaires : ARS</p>"))
    assert [(e.kind, e.name) for e in entries][2] == ("break", "axis")
    fiches = entries_to_fiches(entries)
    assert [(f.number, f.labels) for f in fiches] == [("1", ["pilot"])]


def test_blocks_outside_the_usable_set_are_breaks() -> None:
    """Blocks the outline keeps from actions (a diagnosis, an aside) cut a fiche and are never consumed."""
    fiches = _fiches("<p><b>Fiche action n°1 : Former</b></p><p>Pilote : Mairie</p><p>Partenaires : ARS</p>",
                     usable={0, 1})
    assert [(f.number, f.labels, f.indices) for f in fiches] == [("1", ["pilot"], {0, 1})]


# ---------------------------------------------------------------- tables
def test_a_ruled_table_with_a_label_column_is_a_fiche() -> None:
    """Fiches drawn as tables: a merged title row, then label | value rows, partners as a bulleted cell."""
    fiches = _fiches("<table><tr><td colspan=2>Fiche action n°2 : Ouvrir un centre de santé</td></tr>"
                     "<tr><td>Pilote</td><td>Mairie de Valbrune</td></tr>"
                     "<tr><td>Partenaires</td><td><ul><li>ARS</li><li>Département</li></ul></td></tr>"
                     "<tr><td>Échéance</td><td>2026</td></tr></table>")
    assert [(f.number, f.title, f.sheet.pilot, f.sheet.partners, fiche_years(f, R)) for f in fiches] == [
        ("2", "Ouvrir un centre de santé", "Mairie de Valbrune", ["ARS", "Département"], [2026])]


def test_a_header_cell_naming_the_axis_gives_the_fiche_its_axis() -> None:
    """Fiches whose first cell reads 'Axe transversal Fiche projet N°1 Mobilité' beside the title."""
    fiches = _fiches("<table><tr><td>Axe transversal Fiche projet N°1 Mobilité</td><td>Transport solidaire</td></tr>"
                     "<tr><td>Porteur</td><td>CIAS</td></tr><tr><td>Public</td><td>Aînés isolés</td></tr></table>")
    assert [(f.number, f.title, f.axis_text, f.sheet.pilot) for f in fiches] == [
        ("1", "Transport solidaire", "Axe transversal : Mobilité", "CIAS")]


@pytest.mark.parametrize(("rows", "kind"), [
    ("<tr><td>Pilote</td><td>ARS</td></tr><tr><td>Partenaires</td><td>CPAM</td></tr>", "fiche"),
    ("<tr><th>Action</th><th>Pilote</th><th>Partenaires</th><th>Calendrier</th></tr>"
     "<tr><td>Dépister</td><td>ARS</td><td>CPAM</td><td>2025</td></tr>", "grid"),  # a header row of labels
    ("<tr><th>Action</th><th>2025</th><th>2026</th></tr><tr><td>Dépister</td><td>x</td><td></td></tr>", "grid"),
    ("<tr><td>Logo</td><td>Ville de Valbrune</td></tr><tr><td>Photo</td><td>Le marché</td></tr>", "layout"),
])
def test_table_kind(rows: str, kind: str) -> None:
    """A label column is a fiche, a header row over data rows is a grid (one action per row), else layout."""
    table = _html(f"<table>{rows}</table>").blocks[0].table
    assert table is not None
    assert table_kind(table) == kind


def test_an_action_grid_ends_the_fiche_and_is_not_read_as_fields() -> None:
    """A fiche followed by a summary table of actions: the table's header labels are not the fiche's fields."""
    fiches = _fiches("<p><b>Fiche action n°1 : Former</b></p><p>Pilote : Mairie</p>"
                     "<table><tr><th>Action</th><th>Pilote</th><th>Partenaires</th><th>Calendrier</th></tr>"
                     "<tr><td>Dépister</td><td>ARS</td><td>CPAM</td><td>2025</td></tr></table>")
    assert [(f.number, f.labels, f.sheet.partners) for f in fiches] == [("1", ["pilot"], [])]


BROKEN_PAGE_1 = ("<table><tr><td>Fiche action n°7</td><td>Bouger plus à Valbrune</td></tr>"
                 "<tr><td>Pilote</td><td>Ville</td></tr>"
                 "<tr><td>Partenaires</td><td><p>Clubs sportifs</p><p>Caisse primaire de</p></td></tr></table>")
BROKEN_PAGE_2 = ("<table><tr><td></td><td><p>l'Ouest, Mutualité</p></td></tr>"
                 "<tr><td>Calendrier</td><td>2026</td></tr><tr><td>Indicateurs</td><td>Nombre d'inscrits</td></tr>"
                 "</table>")


def test_a_table_broken_across_pages_continues_the_fiche() -> None:
    """A fiche table split by a page break: the row without label continues the field (its cut item joined),
    the next rows are the same fiche's."""
    fiches = _fiches(BROKEN_PAGE_1 + BROKEN_PAGE_2)
    assert len(fiches) == 1
    sheet = fiches[0].sheet
    assert sheet.partners == ["Clubs sportifs", "Caisse primaire de l'Ouest, Mutualité"]
    assert (sheet.schedule, sheet.indicators) == ("2026", ["Nombre d'inscrits"])


def test_a_broken_table_continues_the_previous_fiche_across_a_running_title() -> None:
    """The same fiche with a running title left between its two pages: the continuation row still joins it."""
    fiches = _fiches(BROKEN_PAGE_1 + "<p>Contrat local de santé de Valbrune 2024-2028</p>" + BROKEN_PAGE_2)
    assert fiches[0].sheet.partners == ["Clubs sportifs", "Caisse primaire de l'Ouest, Mutualité"]


def test_the_rows_after_a_continuation_belong_to_the_continued_fiche() -> None:
    """The rows after the continuation are the continued fiche's fields, never a second, untitled fiche."""
    fiches = _fiches(BROKEN_PAGE_1 + "<p>Contrat local de santé de Valbrune 2024-2028</p>" + BROKEN_PAGE_2)
    assert [(f.number, f.sheet.schedule, f.sheet.indicators) for f in fiches] == [
        ("7", "2026", ["Nombre d'inscrits"])]


# ---------------------------------------------------------------- steps
def test_steps_inside_a_fiche_are_its_steps_not_actions() -> None:
    """'Etape N : …' paragraphs under a fiche's 'Étapes' label: steps of that action with their own years."""
    entries = blocks_to_entries(_html(
        "<p><b>Fiche action n°1 : Former les aidants</b></p><p>Pilote : Association Relais</p>"
        "<p><b>Étapes</b></p><p>Etape 1 : Recenser les aidants. Echéance : 2025</p>"
        "<p>Etape 2 : Organiser des ateliers. Echéance : 2026-2027</p><p>Indicateurs : nombre d'ateliers</p>"))
    assert [e.kind for e in entries].count("head") == 1  # "Etape 2" is no fiche head
    fiches = entries_to_fiches(entries)
    assert len(fiches) == 1
    assert [(s.title, s.years) for s in fiches[0].sheet.steps] == [
        ("Recenser les aidants", [2025]), ("Organiser des ateliers", [2026, 2027])]
    assert fiches[0].indices == set(range(6))  # the steps are consumed: never read again as actions
    assert fiche_years(fiches[0], R) == [2025, 2026, 2027]  # no calendar: the union of its steps' years


def test_a_fiche_calendar_wins_over_its_steps_years() -> None:
    """A fiche with a calendar and dated steps: the calendar gives the action's years."""
    fiches = _fiches("<p><b>Fiche action n°2 : Dépister</b></p><p>Calendrier : 2024</p>"
                     "<p>Pilote : ARS</p><p>Description : Etape 1 : Préparer. Echéance : 2028</p>")
    assert fiche_years(fiches[0], R) == [2024]
    assert [s.years for s in fiches[0].sheet.steps] == [[2028]]


def test_value_to_steps_with_markers_in_one_paragraph_each() -> None:
    """Steps named 'Opération N', 'Phase N', with the échéance in the same paragraph or on the next line."""
    assert _steps(_block("Opération 1 : Cartographier l'offre. Echéance : 2025"),
                  _block("Phase 2 - Recruter un coordinateur"), _block("Calendrier : 2026")) == [
        ("Cartographier l'offre", [2025]), ("Recruter un coordinateur", [2026])]


def test_value_to_steps_from_bold_headings_without_markers() -> None:
    """A steps field with bold sub-headings and plain detail lines: each bold heading is one step; a bold
    'Pilote :' detail is not."""
    assert _steps(_block("Réunir les partenaires", bold=True), _block("Un comité de lancement"),
                  _block("Pilote : CCAS", bold=True), _block("Lancer l'appel à projets", bold=True),
                  _block("Échéance : 2027")) == [("Réunir les partenaires", []), ("Lancer l'appel à projets", [2027])]


def test_value_to_steps_from_dashed_items() -> None:
    """A steps field printed as a dashed list: one step per item."""
    assert _steps(_block("- Recenser les besoins"), _block("Informer les élus", kind="bullet")) == [
        ("Recenser les besoins", []), ("Informer les élus", [])]


def test_value_to_steps_ignores_plain_prose() -> None:
    """A description in plain paragraphs has no steps."""
    assert _steps(_block("Le projet vise les familles."), _block("Il sera évalué chaque année.")) == []
