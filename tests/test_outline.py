"""outline.py on small block lists: headings, sections, roles, and what each role lets the later stages read.

Inputs are invented (territories, wordings) and stand for classes of documents: a PDF with a table of contents,
a diagnosis before the plan, a web page whose plan parts are sibling headings, a press page with a sidebar.
"""

from __future__ import annotations

import pytest

from pipeline.html import html_to_document
from pipeline.model import Block, Box, Document
from pipeline.outline import (
    Outline,
    block_to_style,
    blocks_to_toc,
    document_to_outline,
    heading_role,
    structural_kind,
    styles_to_levels,
)
from pipeline.rules.segmentation import outline_rules

RULES = outline_rules()
MAIN = Box(50, 100, 350, 120)  # the main column of a two-column PDF page
SIDE = Box(400, 100, 550, 120)  # its sidebar


def _html(body: str) -> Document:
    return html_to_document(f"<html><body>{body}</body></html>")


def _block(text: str, kind: str = "text", page: int = 1, size: float = 10.0, bold: bool = False,
           box: Box | None = MAIN, level: int | None = None) -> Block:
    return Block(text=text, kind=kind, page=page, box=box, size=size, bold=bold, level=level)  # type: ignore[arg-type]


def _pdf(*blocks: Block) -> Document:
    return Document(blocks=tuple(blocks), pages=max(b.page for b in blocks), body_size=10.0)


def _roles(doc: Document, outline: Outline) -> dict[str, str]:
    return {b.text: outline.role_of(i) for i, b in enumerate(doc.blocks)}


def _actions_allowed(doc: Document, outline: Outline) -> list[str]:
    return [b.text for i, b in enumerate(doc.blocks) if outline.allows(i, "actions")]


# ---------------------------------------------------------------- heading_role
@pytest.mark.parametrize(("title", "role"), [
    ("Sommaire", "toc"),
    ("II. Le diagnostic", "diagnostic"),  # roman numbering removed before matching
    ("3 - État des lieux", "diagnostic"),
    ("Article 4 : Durée du contrat", "governance"),  # an article of a convention
    ("Partie 2 : Le plan d'actions", "plan"),
    ("Fiches actions", "plan"),
    ("Les axes stratégiques du CLS", "overview"),
    ("Préambule", "preamble"),
    ("Le contexte", "context"),
    ("Zoom sur la vaccination", "aside"),
    ("Quelques exemples d’actions", "aside"),  # illustrations, not the plan
    ("Fait à Valbrune, le 3 mai 2024", "signatures"),
    ("Glossaire", "annex_glossary"),
    ("Annexes", "annex"),
])
def test_heading_role_from_the_heading_words(title: str, role: str) -> None:
    """Any contract: a heading's words (after its numbering) name what its section is for."""
    assert heading_role(title) == role


@pytest.mark.parametrize("title", [
    "Diagnostic et axes prioritaires",  # a diagnosis heading that also announces the axes is not a diagnosis
    "Pilotage des actions",  # an action's steering, not the contract's governance chapter
    "Accès aux soins de premier recours",  # a topic: no role of its own
])
def test_heading_role_none_when_the_words_do_not_settle_it(title: str) -> None:
    """Headings whose words name no role (or a role and its exception) leave the role to content or parent."""
    assert heading_role(title) is None


def test_the_enjeux_of_a_diagnosis_are_an_overview_not_a_diagnosis() -> None:
    """'Les enjeux issus du diagnostic' introduces the axes: the 'unless' words win over 'diagnostic'."""
    assert heading_role("3 - Les enjeux du diagnostic") == "overview"


# ---------------------------------------------------------------- structural_kind
@pytest.mark.parametrize(("text", "kind"), [
    ("Axe 2 : Prévenir les addictions", "axis"),
    ("AXE 3", "axis"),
    ("Objectif 1.2 : Repérer les fragilités", "objective"),
    ("Fiche action n°3", "fiche"),
    ("FA 2.1 Ouvrir un lieu d'accueil", "fiche"),
    ("Action 4 : Former les aidants", "action"),
    ("Accès aux soins", None),
    ("Les 4 axes du contrat", None),  # an announcement, not a numbered axis heading
])
def test_structural_kind(text: str, kind: str | None) -> None:
    """Plans numbered by axis / objective / fiche / action: the numbered heading says its kind."""
    assert structural_kind(text) == kind


# ---------------------------------------------------------------- blocks_to_toc
def test_toc_entries_need_enough_dot_leader_lines_on_the_page() -> None:
    """A PDF's summary page: 'title ....... 12' lines are entries; one such line on another page is not a toc."""
    blocks = (
        _block("Sommaire", size=16),
        _block("Le diagnostic ............ 4"),
        _block("Axe 1 : Prévenir ........ 9"),
        _block("Axe 2 : Soigner …… 14"),
        _block("Voir le tableau ....... 3", page=2),  # a lone reference elsewhere
        _block("Le plan ...... 2", page=3, kind="table"),  # tables are never toc entries
    )
    assert blocks_to_toc(blocks, RULES) == {1, 2, 3}


def test_toc_entries_are_neither_headings_nor_actions() -> None:
    """A contract with a table of contents listing the axes: the entries are not the plan's headings."""
    doc = _pdf(_block("SOMMAIRE", size=16, bold=True),
               _block("Axe 1 : Prévenir les chutes ........ 5"),
               _block("Axe 2 : Soigner près de chez soi ........ 9"),
               _block("Axe 3 : Bien vieillir ........ 12"),
               _block("Axe 1 : Prévenir les chutes", page=2, size=14, bold=True),
               _block("Action 1 : Ateliers d'équilibre", page=2))
    outline = document_to_outline(doc)
    assert outline.toc == {1, 2, 3}
    assert {1, 2, 3}.isdisjoint(outline.headings)
    assert _actions_allowed(doc, outline) == ["Axe 1 : Prévenir les chutes", "Action 1 : Ateliers d'équilibre"]


# ---------------------------------------------------------------- block_to_style / styles_to_levels
@pytest.mark.parametrize(("block", "heading"), [
    (_block("Le territoire de Valbrune", size=14), True),  # printed larger than the body
    (_block("PRÉVENTION ET PROMOTION", size=10), True),  # capitals
    (_block("Les publics visés", bold=True), True),  # bold short line
    (_block("Les publics visés"), False),  # plain body text
    (_block("La santé est l'affaire de tous.", bold=True), False),  # a bold sentence is emphasis, not a heading
    (_block("1. Agir tôt.", bold=True), True),  # ... unless it is numbered
    (_block("GO", size=10), False),  # too few capitals to be a capitalised heading
    (_block(" ".join(["mot"] * 30), size=14), False),  # too many words for a heading
    (_block("12 500", size=20), False),  # a key-figure tile has no letters
    (_block("Accès aux soins", kind="bullet", bold=True), False),  # a list item
])
def test_block_to_style_says_which_blocks_are_headings(block: Block, heading: bool) -> None:
    """PDFs: headings are found by typography (size, weight, capitals) and numbering, not by position."""
    assert (block_to_style(block, 10.0, RULES) is not None) is heading


def test_styles_to_levels_ranks_html_level_then_size_then_capitals_then_weight() -> None:
    """A document's heading styles: h2 over h3 whatever the size; then larger, capitalised, bolder first."""
    h2, h3 = (10.0, True, False, 2), (24.0, True, True, 3)
    big, caps = (16.0, False, False, 9), (12.0, False, True, 9)
    bold, plain = (12.0, True, False, 9), (12.0, False, False, 9)
    levels = styles_to_levels([plain, bold, caps, big, h3, h2, plain])
    assert levels[h2] < levels[h3] < levels[big] < levels[caps] < levels[bold] < levels[plain]


# ---------------------------------------------------------------- document_to_outline: roles
def test_a_diagnosis_allows_neither_axes_nor_actions() -> None:
    """Contracts that open with a diagnosis in bullets: its findings are not actions; the plan's items are."""
    doc = _html("<h1>Contrat local de santé de Valbrune</h1>"
                "<h2>Diagnostic territorial</h2><ul><li>Un habitant sur quatre a plus de 60 ans</li>"
                "<li>Peu de médecins généralistes</li></ul>"
                "<h2>Le plan d'actions</h2><ul><li>Ouvrir une maison de santé</li></ul>")
    outline = document_to_outline(doc)
    roles = _roles(doc, outline)
    assert roles["Peu de médecins généralistes"] == "diagnostic"
    assert roles["Ouvrir une maison de santé"] == "plan"
    assert "Peu de médecins généralistes" not in _actions_allowed(doc, outline)
    assert "Ouvrir une maison de santé" in _actions_allowed(doc, outline)
    assert not any(outline.allows(i, "axes") for i, b in enumerate(doc.blocks) if b.text.startswith("Un habitant"))


def test_subsections_inherit_their_parents_role_with_evidence() -> None:
    """A diagnosis chapter with topic sub-headings: every sub-section is still diagnosis."""
    doc = _html("<h2>Portrait de santé</h2><p>Le territoire est rural.</p>"
                "<h3>Santé mentale</h3><ul><li>Un accès difficile aux psychiatres</li></ul>")
    outline = document_to_outline(doc)
    sub = next(s for s in outline.sections if s.title == "Santé mentale")
    assert sub.role == "diagnostic"
    assert sub.evidence == "inside 'Portrait de santé'"
    assert outline.sections[sub.parent or 0].title == "Portrait de santé"


def test_a_section_that_mostly_states_figures_is_a_diagnostic() -> None:
    """A diagnosis under a heading that says nothing ('En bref'): most of its paragraphs state figures."""
    doc = _html("<h2>Valbrune en bref</h2><p>La commune compte 12 500 habitants.</p>"
                "<p>Près de 35 % ont plus de 60 ans.</p><p>On y enregistre 140 naissances par an.</p>"
                "<p>Les familles monoparentales sont nombreuses.</p>")
    section = document_to_outline(doc).sections[1]
    assert section.role == "diagnostic"
    assert section.evidence == "3 of its 4 blocks state figures"


def test_a_section_of_plain_prose_is_not_a_diagnostic() -> None:
    """The same shape without figures (an action plan's introduction) keeps the body role."""
    doc = _html("<h2>Valbrune en bref</h2><p>La commune est rurale.</p><p>Elle est attractive.</p>"
                "<p>Les familles y sont nombreuses.</p><p>Le contrat répond à leurs besoins.</p>")
    assert document_to_outline(doc).sections[1].role == RULES.default_role


def test_figures_with_accented_units_make_a_diagnostic() -> None:
    """A diagnosis whose figures count doctors and deaths ('18 médecins', '42 décès'), as French text prints them."""
    doc = _html("<h2>Valbrune en bref</h2><p>On compte 18 médecins généralistes.</p>"
                "<p>On déplore 42 décès prématurés par an.</p><p>Le territoire compte 9 communes.</p>"
                "<p>Les familles monoparentales sont nombreuses.</p>")
    assert document_to_outline(doc).sections[1].role == "diagnostic"


def test_a_structural_heading_closes_a_section_that_allows_no_actions() -> None:
    """A governance chapter followed by the first axis printed one level lower: the axis starts the plan."""
    doc = _html("<h2>La gouvernance</h2><p>Un comité de pilotage se réunit chaque année.</p>"
                "<h3>Axe 1 : Prévenir les addictions</h3><p>Action 1 : Former les animateurs</p>")
    outline = document_to_outline(doc)
    roles = _roles(doc, outline)
    assert roles["Un comité de pilotage se réunit chaque année."] == "governance"
    assert roles["Action 1 : Former les animateurs"] == "plan"
    axis = next(s for s in outline.sections if s.title.startswith("Axe 1"))
    assert axis.evidence == "structural heading (axis)"
    assert outline.sections[axis.parent or 0].role != "governance"


def test_unnamed_sibling_headings_continue_the_plan() -> None:
    """A web page: 'Le plan d'actions' then one h2 per axis, siblings rather than children of the plan heading."""
    doc = _html("<h2>Le plan d'actions</h2><p>Il compte deux parties.</p>"
                "<h2>Prévenir les addictions</h2><ul><li>Former les animateurs</li></ul>"
                "<h2>Soigner près de chez soi</h2><ul><li>Ouvrir un centre de soins</li></ul>")
    outline = document_to_outline(doc)
    assert _roles(doc, outline)["Ouvrir un centre de soins"] == "plan"
    assert [s.evidence for s in outline.sections[2:]] == ["after \"Le plan d'actions\""] * 2


def test_unnamed_sibling_headings_do_not_continue_a_context() -> None:
    """Only the plan spills over its siblings: after 'Le contexte', the next chapter is not context."""
    doc = _html("<h2>Le contexte</h2><p>Le CLS prolonge le précédent.</p>"
                "<h2>Bien vieillir à Valbrune</h2><ul><li>Adapter les logements</li></ul>")
    outline = document_to_outline(doc)
    assert _roles(doc, outline)["Le CLS prolonge le précédent."] == "context"
    assert _roles(doc, outline)["Adapter les logements"] == RULES.default_role
    assert "Adapter les logements" in _actions_allowed(doc, outline)


def test_front_matter_is_section_zero() -> None:
    """A cover page before any heading: its blocks belong to the front matter section."""
    doc = _pdf(_block("Document de travail"), _block("Le diagnostic", page=2, size=16, bold=True),
               _block("Une population âgée.", page=3))
    outline = document_to_outline(doc)
    assert outline.block_section[0] == 0
    assert outline.sections[0].title == "" and outline.sections[0].role == RULES.default_role
    diag = outline.sections[1]
    assert (diag.role, diag.first_page, diag.last_page) == ("diagnostic", 2, 3)


def test_a_bare_axis_label_over_its_title_is_one_heading() -> None:
    """Plans printing 'AXE 3' on one line and its title on the next: one section, the title is not a sub-section."""
    doc = _html("<h2>AXE 3</h2><h2>Bien vieillir</h2><p>Action 1 : Adapter les logements</p>")
    outline = document_to_outline(doc)
    assert [s.title for s in outline.sections[1:]] == ["AXE 3 Bien vieillir"]
    assert outline.sections[1].role == "plan"


def test_objectives_sit_under_their_axis_even_when_printed_alike() -> None:
    """Axes and objectives in the same heading style: objectives get a lower level, their parent is the axis."""
    doc = _pdf(_block("Axe 1 : Prévenir", size=14, bold=True),
               _block("Objectif 1.1 : Repérer les fragilités", size=14, bold=True),
               _block("Action 1 : Visites à domicile"),
               _block("Objectif 1.2 : Informer les familles", size=14, bold=True),
               _block("Axe 2 : Soigner", size=14, bold=True))
    sections = document_to_outline(doc).sections
    by_title = {s.title: s for s in sections}
    axis, o1, o2, axis2 = (by_title[t] for t in ("Axe 1 : Prévenir", "Objectif 1.1 : Repérer les fragilités",
                                                 "Objectif 1.2 : Informer les familles", "Axe 2 : Soigner"))
    assert axis.level < o1.level == o2.level
    assert o1.parent == axis.index and o2.parent == axis.index
    assert axis2.parent == 0 and axis.end == axis2.start


# ---------------------------------------------------------------- asides
def test_a_web_sidebar_ends_at_the_next_heading_of_any_level() -> None:
    """A news page: the items of 'À lire aussi' are not actions; the section after it is the axis again."""
    doc = _html("<h2>Axe 1 : Prévenir les chutes</h2><p>Action 1 : Ateliers d'équilibre</p>"
                "<h4>À lire aussi</h4><ul><li>Action 2 : un article voisin</li><li>Les plus lus</li></ul>"
                "<h3>Suite du programme</h3><p>Action 3 : Visites à domicile</p>")
    outline = document_to_outline(doc)
    assert _actions_allowed(doc, outline) == ["Axe 1 : Prévenir les chutes", "Action 1 : Ateliers d'équilibre",
                                              "Suite du programme", "Action 3 : Visites à domicile"]
    assert _roles(doc, outline)["Action 2 : un article voisin"] == "aside"


def test_a_pdf_sidebar_ends_where_the_blocks_leave_its_column_or_page() -> None:
    """A brochure with a 'Zoom sur…' box in the right column: the main column after it is the plan again."""
    doc = _pdf(_block("Axe 2 : Soigner près de chez soi", size=14, bold=True),
               _block("Zoom sur la télémédecine", bold=True, box=SIDE),
               _block("Une cabine de téléconsultation", kind="bullet", box=SIDE),
               _block("Action 4 : Ouvrir un centre de santé"),  # back in the main column
               _block("Zoom sur les urgences", bold=True, box=SIDE),
               _block("Un numéro unique", kind="bullet", box=SIDE),
               _block("Action 5 : Recruter des infirmiers", page=2, box=SIDE))  # next page, same x
    outline = document_to_outline(doc)
    roles = _roles(doc, outline)
    assert roles["Une cabine de téléconsultation"] == roles["Un numéro unique"] == "aside"
    assert roles["Action 4 : Ouvrir un centre de santé"] == roles["Action 5 : Recruter des infirmiers"] == "plan"


def test_a_sidebar_heading_followed_by_a_long_paragraph_gives_back_the_article() -> None:
    """A press article with a 'Zoom sur' kicker: a paragraph longer than a sidebar item is the article going on."""
    long_paragraph = "Le contrat prévoit aussi " + "des actions de prévention nombreuses et variées, " * 6
    doc = _html("<h2>Le plan d'actions</h2><h3>Zoom sur la vaccination</h3><p>Une campagne au printemps.</p>"
                f"<p>{long_paragraph}</p>")
    outline = document_to_outline(doc)
    assert outline.role_of(2) == "aside"
    assert outline.role_of(3) == "plan"


# ---------------------------------------------------------------- Outline.allows / kept
def test_kept_restricts_a_document_to_where_actions_may_be_read() -> None:
    """The stages after the outline only see the blocks whose role allows what they read."""
    doc = _html("<h2>Sommaire</h2><p>Axe 1</p><h2>Le contexte</h2><p>Trois axes ont été retenus.</p>"
                "<h2>Axe 1 : Prévenir</h2><p>Action 1 : Dépister</p><h2>Signatures</h2><p>Le maire</p>")
    outline = document_to_outline(doc)
    assert [b.text for b in outline.kept(doc, "actions").blocks] == ["Axe 1 : Prévenir", "Action 1 : Dépister"]
    axes = [b.text for b in outline.kept(doc, "axes").blocks]
    assert "Trois axes ont été retenus." in axes and "Le maire" not in axes and "Sommaire" not in axes


def test_a_question_printed_as_a_heading_is_a_heading() -> None:
    """Brochures asking 'UN CLS, C'EST QUOI ?' in large capitals (a context box, named by outline.yaml's context
    rules): its bullets explain the contract, they are not the plan's actions."""
    doc = _pdf(_block("Axe 1 : Prévenir", size=14, bold=True), _block("Action 1 : Dépister le diabète"),
               _block("UN CONTRAT LOCAL DE SANTÉ, C'EST QUOI ?", size=16, bold=True),
               _block("Réduire les inégalités de santé", kind="bullet"))
    outline = document_to_outline(doc)
    assert 2 in outline.headings
    assert outline.role_of(3) == "context"


def test_a_pull_quote_ending_in_a_question_is_not_a_heading() -> None:
    """A magazine's large pull-quote is a sentence, however large: only short questions are headings."""
    doc = _pdf(_block("Axe 1 : Prévenir", size=14, bold=True),
               _block("Comment faire venir des médecins dans nos campagnes quand tout les attire en ville ?",
                      size=16, bold=True),
               _block("Action 1 : Dépister le diabète"))
    assert 1 not in document_to_outline(doc).headings
