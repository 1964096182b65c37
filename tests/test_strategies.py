"""strategies.py: each strategy's detect/segment, and context_to_candidates's choice, on small block lists.

The context is built as pipeline/segment.py builds it (the real outline, fiches and enumerations stages); every
territory name and wording here is invented; each test names the class of documents it stands for."""

from __future__ import annotations

from pipeline.html import html_to_document
from pipeline.model import Block, Box, Document
from pipeline.rules import structure_rules
from pipeline.segment import document_to_context
from pipeline.strategies import (
    Context,
    Enumerated,
    HeadingGroups,
    Numbered,
    Prose,
    TableOfContents,
    Thematic,
    context_to_candidates,
    toc_to_entries,
    toc_to_tree,
)
from pipeline.tree import Node

R = structure_rules()


def _doc(html: str) -> Document:
    return html_to_document(f"<html><body>{html}</body></html>")


def _block(text: str, kind: str = "text", bold: bool = False, size: float = 10.0, page: int = 1,
           box: Box | None = None, year: int | None = None) -> Block:
    return Block(text=text, kind=kind, page=page, box=box, size=size, bold=bold, year=year)  # type: ignore[arg-type]


def _context(doc: Document | list[Block], declared: int | None = None) -> Context:
    """The strategies' context, built by the same function as document_to_tree's."""
    if isinstance(doc, list):
        doc = Document(blocks=tuple(doc), pages=max(b.page for b in doc))
    return document_to_context(doc, declared_axes=declared)


def _axes(nodes: list[Node]) -> list[tuple[str | None, str]]:
    return [(a.number, a.title) for a in nodes]


def _titles(nodes: list[Node]) -> list[str]:
    return [n.title for n in nodes]


# ---------------------------------------------------------------- numbered
NUMBERED = ("<p>Contrat local de santé de Valbrune</p>"
            "<h2>Axe 1 : Prévention</h2><h3>Objectif 1.1 : Prévenir les chutes</h3>"
            "<p>Action 1 : Ateliers équilibre</p><p>Action 2 : Visites à domicile</p>"
            "<h2>Axe 2 : Offre de soins</h2><p>Dès 2026</p><ol><li>Attirer des médecins</li></ol>")


class TestNumbered:
    def test_detect_counts_numbered_axis_headings(self) -> None:
        """A contract with "Axe N :" headings: the numbered strategy is certain."""
        evidence = Numbered().detect(_context(_doc(NUMBERED)))
        assert evidence.score == 1.0 and evidence.reasons == ("2 numbered axis headings",)

    def test_detect_is_weak_without_numbering(self) -> None:
        """A press article without numbered headings, fiches or tables: little evidence."""
        assert Numbered().detect(_context(_doc("<p>Le contrat local de santé de Valbrune est signé.</p>"))).score \
            == 0.2

    def test_segment_axes_objectives_actions_and_year_groups(self) -> None:
        """Axes, an objective under axis 1, numbered actions; a "Dès 2026" group makes list items actions."""
        c = Numbered().segment(_context(_doc(NUMBERED)))
        assert _axes(c.axes) == [("1", "Prévention"), ("2", "Offre de soins")]
        assert [(o.number, o.title, o.axis) for o in c.objectives] == [("1.1", "Prévenir les chutes", "1")]
        assert [(a.number, a.title, a.axis, a.objective, a.years) for a in c.actions] == [
            ("1", "Ateliers équilibre", "1", "Prévenir les chutes", []),
            ("2", "Visites à domicile", "1", "Prévenir les chutes", []),
            ("1", "Attirer des médecins", "2", None, [2026])]

    def test_diagnosis_figures_are_not_actions(self) -> None:
        """A contract whose diagnosis lists figures as bullets before its plan: the figures are not actions."""
        c = Numbered().segment(_context(_doc(
            "<p>Contrat local de santé de Valbrune</p><h2>Diagnostic</h2><p>Le territoire en chiffres :</p>"
            "<ul><li>12 % de fumeurs quotidiens</li><li>3 médecins pour 10 000 habitants</li></ul>"
            "<h2>Axe 1 : Prévention</h2><p>Action 1 : Dépister le diabète</p>")))
        assert _titles(c.actions) == ["Dépister le diabète"]

    def test_steps_of_a_fiche_are_not_actions(self) -> None:
        """Fiches with "Etape N :" lines: each fiche is one action, its steps are not actions."""
        c = Numbered().segment(_context(_doc(
            "<p>Contrat local de santé de Valbrune</p><h2>Axe 1 : Prévention</h2>"
            "<h3>Fiche action n°1 : Ateliers équilibre pour les aînés</h3><p>Pilote : CCAS de Valbrune</p>"
            "<p>Partenaires : caisse de retraite, clubs sportifs</p>"
            "<p>Etape 1 : Recenser les clubs</p><p>Etape 2 : Ouvrir six ateliers</p>"
            "<h3>Fiche action n°2 : Dépistage itinérant</h3><p>Pilote : centre hospitalier</p>"
            "<p>Calendrier : 2027</p>")))
        assert [(a.number, a.title, a.axis) for a in c.actions] == [
            ("1", "Ateliers équilibre pour les aînés", "1"), ("2", "Dépistage itinérant", "1")]

    def test_table_of_contents_entries_are_not_actions(self) -> None:
        """A contract whose summary lists its actions with dot leaders and pages: only the body's actions count."""
        c = Numbered().segment(_context(_doc(
            "<p>Contrat local de santé de Valbrune</p><h2>Sommaire</h2><p>Axe 1 : Prévention ........ 4</p>"
            "<p>Action 1 : Dépister ........ 5</p><p>Action 2 : Former ........ 6</p>"
            "<h2>Axe 1 : Prévention</h2><p>Action 1 : Dépister le cancer du sein</p>")))
        assert _axes(c.axes) == [("1", "Prévention")]
        assert _titles(c.actions) == ["Dépister le cancer du sein"]

    def test_a_contents_table_is_not_an_action_table(self) -> None:
        """A "N° | Intitulé | Page" table at the front is the document's summary, not its action grid."""
        c = Numbered().segment(_context(_doc(
            "<p>Contrat local de santé de Valbrune</p><table><tr><th>N°</th><th>Intitulé</th><th>Page</th></tr>"
            "<tr><td>Action 1</td><td>Dépister</td><td>4</td></tr><tr><td>Action 2</td><td>Former</td><td>6</td>"
            "</tr></table><h2>Axe 1 : Prévention</h2><p>Action 1 : Dépister le cancer du sein</p>")))
        assert _titles(c.actions) == ["Dépister le cancer du sein"]

    def test_a_sidebar_about_another_territory_gives_no_axes(self) -> None:
        """A news page with a "Zoom sur" box about a neighbour's contract: its "Axe 3" is not this contract's."""
        c = Numbered().segment(_context(_doc(
            "<p>Contrat local de santé de Valbrune</p><h2>Axe 1 : Prévention</h2><p>Action 1 : Dépister</p>"
            "<h3>Zoom sur la commune d'à côté</h3><p>Axe 3 : Sport pour tous</p><p>Action 9 : Courir ensemble</p>")))
        assert _axes(c.axes) == [("1", "Prévention")]
        assert _titles(c.actions) == ["Dépister"]


# ---------------------------------------------------------------- thematic
def _thematic_pages() -> list[Block]:
    """Two action-plan pages: a large page heading, "Objectifs", "heading :" groups of bullets, year tiles."""
    return [_block("Bien vieillir à Valbrune", bold=True, size=20),
            _block("Objectifs", bold=True), _block("Ce que le contrat veut changer pour les aînés."),
            _block("Prévenir les chutes :", bold=True, box=Box(50, 100, 300, 110)),
            _block("Ateliers équilibre", "bullet", box=Box(60, 112, 300, 120)),
            _block("Visites à domicile", "bullet", box=Box(60, 122, 300, 130)),
            _block("2025", "year", box=Box(400, 105, 420, 115), year=2025),
            _block("Rompre l'isolement :", bold=True, box=Box(50, 200, 300, 210)),
            _block("Cafés des aidants", "bullet", box=Box(60, 212, 300, 220)),
            _block("2026", "year", box=Box(400, 205, 420, 215), year=2026),
            _block("Santé mentale des jeunes", bold=True, size=20, page=2),
            _block("Objectifs", bold=True, page=2), _block("Repérer plus tôt.", page=2),
            _block("Former les adultes :", bold=True, page=2), _block("Premiers secours", "bullet", page=2)]


class TestThematic:
    def test_detect_finds_objectives_sections(self) -> None:
        """Thematic pages are recognised by their bold "Objectifs" markers, page by page."""
        assert Thematic().detect(_context(_thematic_pages())).score == 1.0
        assert Thematic().detect(_context(_doc(NUMBERED))).score == 0.0

    def test_segment_pages_objectives_bullets_and_tiles(self) -> None:
        """Page heading = axis, "heading :" = objective, its bullets = actions with the year tile beside them."""
        c = Thematic().segment(_context(_thematic_pages()))
        assert _axes(c.axes) == [("1", "Bien vieillir à Valbrune"), ("2", "Santé mentale des jeunes")]
        assert [(o.title, o.axis) for o in c.objectives] == [
            ("Prévenir les chutes", "1"), ("Rompre l'isolement", "1"), ("Former les adultes", "2")]
        assert [(a.title, a.objective, a.years) for a in c.actions] == [
            ("Ateliers équilibre", "Prévenir les chutes", [2025]),
            ("Visites à domicile", "Prévenir les chutes", [2025]),
            ("Cafés des aidants", "Rompre l'isolement", [2026]), ("Premiers secours", "Former les adultes", [])]

    def test_a_page_heading_no_larger_than_the_body_is_not_an_axis(self) -> None:
        """An "Objectifs" box in running text (no large page heading) is not a thematic page."""
        blocks = [_block("Contrat local de santé de Valbrune", bold=True), _block("Objectifs", bold=True),
                  _block("Texte."), _block("Informer :", bold=True), _block("Une lettre", "bullet")]
        assert Thematic().segment(_context(blocks)).axes == []


# ---------------------------------------------------------------- heading_groups
GROUPS = ("<p>Le contrat local de santé de Valbrune.</p><h2>Le plan d'actions</h2>"
          "<p><b>Prévention</b></p><ul><li>Ateliers nutrition 2025</li><li>Dépistage du diabète dès 2026</li></ul>"
          "<p><b>Offre de soins</b></p><ul><li>Maison de santé</li><li>Télémédecine</li></ul>")


class TestHeadingGroups:
    def test_unnumbered_plan_headings_are_axes(self) -> None:
        """A flyer: bold headings each followed by bullets; a trailing year is the action's schedule."""
        c = HeadingGroups().segment(_context(_doc(GROUPS)))
        assert _axes(c.axes) == [("1", "Prévention"), ("2", "Offre de soins")]
        assert [(a.title, a.axis, a.years) for a in c.actions] == [
            ("Ateliers nutrition", "1", [2025]), ("Dépistage du diabète", "1", [2026]),
            ("Maison de santé", "2", []), ("Télémédecine", "2", [])]

    def test_highlights_outside_the_plan_are_not_actions(self) -> None:
        """A press page's bold headings over bullets, with no plan section: the bullets are highlights."""
        c = HeadingGroups().segment(_context(_doc(GROUPS.replace("<h2>Le plan d'actions</h2>", ""))))
        assert c.actions == []

    def test_under_known_axes_headings_are_objectives(self) -> None:
        """Numbered axes with bold sub-headings over bullets: the sub-headings are objectives of their axis."""
        ctx = _context(_doc("<p>Contrat local de santé de Valbrune</p><h2>Axe 1 : Prévention</h2>"
                            "<p><b>Nutrition</b></p><ul><li>Ateliers cuisine</li></ul><p><b>Addictions</b></p>"
                            "<ul><li>Consultations jeunes</li></ul><h2>Axe 2 : Soins</h2><p><b>Démographie</b></p>"
                            "<ul><li>Maison de santé</li></ul>"))
        known = Numbered().segment(ctx).axes
        c = HeadingGroups().segment(ctx, known)
        assert c.axes == known
        assert [(o.title, o.axis) for o in c.objectives] == [("Nutrition", "1"), ("Addictions", "1"),
                                                             ("Démographie", "2")]
        assert [(a.title, a.axis, a.objective) for a in c.actions] == [
            ("Ateliers cuisine", "1", "Nutrition"), ("Consultations jeunes", "1", "Addictions"),
            ("Maison de santé", "2", "Démographie")]

    def test_questions_and_colon_headings_do_not_start_groups(self) -> None:
        """A web page's "Le saviez-vous ?" and "À retenir :" boxes are not plan headings."""
        c = HeadingGroups().segment(_context(_doc(
            "<p>Le contrat local de santé de Valbrune.</p><p><b>Le saviez-vous ?</b></p><ul><li>Un fait</li></ul>"
            "<p><b>À retenir :</b></p><ul><li>Un autre fait</li></ul>")))
        assert (c.axes, c.actions) == ([], [])

    def test_a_single_group_is_not_a_plan(self) -> None:
        """One bold heading over bullets (a box of highlights) gives no axes."""
        c = HeadingGroups().segment(_context(_doc(
            "<p>Le contrat local de santé de Valbrune.</p><p><b>En bref</b></p><ul><li>Signé en mai</li>"
            "<li>Pour cinq ans</li></ul>")))
        assert c.axes == []


# ---------------------------------------------------------------- enumeration
ANNOUNCED = ("<p>Le contrat local de santé de Valbrune s'articule autour de trois axes : la prévention, "
             "l'offre de soins et la santé mentale.</p>")
PLAN = "<h2>Le plan d'actions</h2>"  # a section whose role lets bullets under bold headings be actions


class TestEnumerated:
    def test_detect_scores_an_agreeing_list_higher(self) -> None:
        """"trois axes : a, b et c" agrees with its count (1.0); "quatre axes : a, b et c" does not (0.5)."""
        assert Enumerated().detect(_context(_doc(ANNOUNCED))).score == 1.0
        assert Enumerated().detect(_context(_doc(ANNOUNCED.replace("trois", "quatre")))).score == 0.5
        assert Enumerated().detect(_context(_doc("<p>Contrat local de santé de Valbrune.</p>"))).score == 0.0

    def test_count_declared_elsewhere_makes_a_vague_list_agree(self) -> None:
        """"des axes : a, b et c" in a document that declares 3 axes elsewhere."""
        ctx = _context(_doc(ANNOUNCED.replace("trois axes", "des axes")), declared=3)
        assert Enumerated().detect(ctx).score == 1.0
        assert _axes(Enumerated().segment(ctx).axes) == [
            ("1", "la prévention"), ("2", "l'offre de soins"), ("3", "la santé mentale")]

    def test_strong_noun_wins_over_weak_one(self) -> None:
        """"trois objectifs : …" then "deux axes : …": the axes are the axes, not the objectives."""
        c = Enumerated().segment(_context(_doc(
            "<p>Le contrat local de santé de Valbrune poursuit trois objectifs : informer, orienter et soigner.</p>"
            "<p>Il se décline en deux axes : la prévention et l'accès aux soins.</p>")))
        assert _titles(c.axes) == ["la prévention", "l'accès aux soins"]

    def test_additive_axis_joins_the_list(self) -> None:
        """"un axe transversal" announced after the main list is added to it, not chosen instead of it."""
        c = Enumerated().segment(_context(_doc(
            "<p>Le contrat local de santé de Valbrune se décline en 2 axes : la prévention et l'accès aux soins. "
            "Un axe transversal s'ajoute : la communication.</p>")))
        assert _axes(c.axes) == [("1", "la prévention"), ("2", "l'accès aux soins"), ("3", "la communication")]

    def test_labelled_items_carry_their_actions(self) -> None:
        """A summary page listing "Axe : action ; action": the heads are axes, the parts their actions."""
        c = Enumerated().segment(_context(_doc(
            "<p>Le contrat local de santé de Valbrune retient 3 axes :</p><ul>"
            "<li>Prévention : ateliers nutrition ; dépistage</li><li>Soins : maison de santé ; télémédecine</li>"
            "<li>Santé mentale : premiers secours</li></ul>")))
        assert _titles(c.axes) == ["Prévention", "Soins", "Santé mentale"]
        assert [(a.title, a.axis) for a in c.actions] == [
            ("ateliers nutrition", "1"), ("dépistage", "1"), ("maison de santé", "2"), ("télémédecine", "2"),
            ("premiers secours", "3")]

    def test_items_keep_their_printed_numbers(self) -> None:
        """Items printed "Axe 1 « … »": numbered as printed, titles without the quotes."""
        c = Enumerated().segment(_context(_doc(
            "<p>Le contrat local de santé de Valbrune retient 2 axes :</p><ul><li>Axe 2 « Vieillir chez soi »</li>"
            "<li>Axe 3 « Respirer un air sain »</li></ul>")))
        assert _axes(c.axes) == [("2", "Vieillir chez soi"), ("3", "Respirer un air sain")]


# ---------------------------------------------------------------- prose
class TestProse:
    def test_ordinals_after_a_count(self) -> None:
        """A press article: "Quatre grands axes ont été retenus. Premièrement, … ; enfin, …"."""
        c = Prose().segment(_context(_doc(
            "<p>Le contrat local de santé de Valbrune a été signé. Quatre grands axes ont été retenus. "
            "Premièrement, la prévention ; deuxièmement, l'accès aux soins ; ensuite, la santé mentale ; "
            "enfin, le cadre de vie.</p>")))
        assert _axes(c.axes) == [("1", "la prévention"), ("2", "l'accès aux soins"), ("3", "la santé mentale"),
                                 ("4", "le cadre de vie")]

    def test_a_count_that_the_ordinals_do_not_reach_gives_nothing(self) -> None:
        """"Quatre axes" then three ordinals: the article does not list all the axes, none is guessed."""
        c = Prose().segment(_context(_doc(
            "<p>Le contrat local de santé de Valbrune a été signé. Quatre grands axes ont été retenus. "
            "Premièrement, la prévention ; ensuite, l'accès aux soins ; enfin, le cadre de vie.</p>")))
        assert c.axes == []

    def test_a_neighbours_contract_is_not_this_one(self) -> None:
        """An article recalling a neighbouring territory's axes."""
        c = Prose().segment(_context(_doc(
            "<p>Le contrat local de santé de Valbrune est en préparation. La communauté voisine avait retenu "
            "trois axes : la prévention, les soins, le logement.</p>")))
        assert c.axes == []


# ---------------------------------------------------------------- toc
def _toc_line(text: str, x0: float) -> Block:
    return _block(text, box=Box(x0, 0, 500, 10))


TOC = [_toc_line("Préambule ........ 2", 50), _toc_line("Les priorités et le programme d'actions ........ 5", 50),
       _toc_line("A. Prévenir les addictions ........ 6", 70), _toc_line("A.1 Informer les jeunes ........ 7", 90),
       _toc_line("B. Soutenir les aidants ........ 9", 70), _toc_line("Gouvernance ........ 12", 50)]


class TestTableOfContents:
    def test_entries_without_leaders_and_page_numbers(self) -> None:
        """Entries of a printed summary: titles without dot leaders or page numbers, with their indentation."""
        assert [(e.title, e.indent) for e in toc_to_entries(TOC)][:3] == [
            ("Préambule", 50), ("Les priorités et le programme d'actions", 50), ("A. Prévenir les addictions", 70)]

    def test_entries_under_the_plan_part_are_axes_and_their_subentries_objectives(self) -> None:
        """A contract cut after its first pages: the summary's plan part gives the axes ("A.", "B.")."""
        axes, objectives = toc_to_tree(toc_to_entries(TOC), R)
        assert _axes(axes) == [("A", "Prévenir les addictions"), ("B", "Soutenir les aidants")]
        assert [(o.number, o.title, o.axis) for o in objectives] == [("A.1", "Informer les jeunes", "A")]

    def test_numbered_axis_entries(self) -> None:
        """A summary whose entries are "Axe N : …"."""
        axes, _ = toc_to_tree(toc_to_entries([_toc_line("Axe 1 : Prévention ........ 4", 50),
                                              _toc_line("Axe 2 : Offre de soins ..... 9", 50)]), R)
        assert _axes(axes) == [("1", "Prévention"), ("2", "Offre de soins")]

    def test_entries_outside_the_plan_are_not_axes(self) -> None:
        """A summary of a diagnosis report (no plan part): nothing is an axis."""
        entries = toc_to_entries([_toc_line("Introduction ........ 2", 50), _toc_line("Démographie ........ 3", 70),
                                  _toc_line("Offre de soins ........ 7", 70)])
        assert toc_to_tree(entries, R) == ([], [])

    def test_detect_and_segment(self) -> None:
        """The strategy reads the context's table-of-contents blocks; none, no evidence."""
        ctx = _context([_block("Contrat local de santé de Valbrune"), *TOC])
        ctx.toc = TOC
        assert TableOfContents().detect(ctx).score == 0.5
        assert _titles(TableOfContents().segment(ctx).axes) == ["Prévenir les addictions", "Soutenir les aidants"]
        ctx.toc = []
        assert TableOfContents().detect(ctx).score == 0.0


# ---------------------------------------------------------------- context_to_candidates
class TestChoice:
    def test_numbered_headings_win(self) -> None:
        """A numbered plan with an announcing sentence that disagrees: the numbered headings give the axes."""
        axes, _, actions, reasons = context_to_candidates(_context(_doc(
            "<p>Le contrat local de santé de Valbrune se décline en 2 axes : la nutrition et le sport.</p>"
            + NUMBERED.split("</p>", 1)[1])))
        assert _titles(axes) == ["Prévention", "Offre de soins"]
        assert len(actions) == 3
        assert reasons[0].startswith("axes: numbered")

    def test_agreeing_enumeration_wins_over_heading_groups(self) -> None:
        """"trois axes : a, b et c" above bold sub-headings with bullets: the announced axes win."""
        axes, objectives, actions, reasons = context_to_candidates(_context(_doc(
            ANNOUNCED + PLAN + "<p><b>Nutrition</b></p><ul><li>Ateliers</li></ul>"
                        "<p><b>Addictions</b></p><ul><li>Consultations</li></ul>")))
        assert _titles(axes) == ["la prévention", "l'offre de soins", "la santé mentale"]
        assert reasons[0].startswith("axes: enumeration")
        assert _titles(actions) == ["Ateliers", "Consultations"]

    def test_groups_after_a_sentence_are_not_filed_under_its_last_axis(self) -> None:
        """Axes named in one sentence say nothing about which axis the later groups belong to."""
        _, objectives, actions, _ = context_to_candidates(_context(_doc(
            ANNOUNCED + PLAN + "<p><b>Nutrition</b></p><ul><li>Ateliers</li></ul>"
                        "<p><b>Addictions</b></p><ul><li>Consultations</li></ul>")))
        assert [a.axis for a in actions] == [None, None]
        assert [o.axis for o in objectives] == [None, None]

    def test_disagreeing_enumeration_gives_way_to_heading_groups(self) -> None:
        """"quatre axes : a, b et c" (a count the list does not reach) loses to bold headings over bullets."""
        axes, _, actions, reasons = context_to_candidates(_context(_doc(
            ANNOUNCED.replace("trois", "quatre") + PLAN + "<p><b>Nutrition</b></p><ul><li>Ateliers</li></ul>"
                                                   "<p><b>Addictions</b></p><ul><li>Consultations</li></ul>")))
        assert _titles(axes) == ["Nutrition", "Addictions"]
        assert [(a.title, a.axis) for a in actions] == [("Ateliers", "1"), ("Consultations", "2")]
        assert reasons[0].startswith("axes: heading_groups")

    def test_prose_when_nothing_else(self) -> None:
        """A press article with ordinals only: the prose strategy gives the axes, no actions."""
        axes, _, actions, reasons = context_to_candidates(_context(_doc(
            "<p>Le contrat local de santé de Valbrune a été signé. Trois grands axes ont été retenus. "
            "D'abord, la prévention ; ensuite, l'accès aux soins ; enfin, le cadre de vie.</p>")))
        assert _titles(axes) == ["la prévention", "l'accès aux soins", "le cadre de vie"]
        assert actions == [] and reasons[0].startswith("axes: prose")

    def test_announced_actions_when_nothing_else_gives_actions(self) -> None:
        """A news page: announced axes in a sentence, then "Les 3 actions prioritaires :" over bullets."""
        axes, _, actions, _ = context_to_candidates(_context(_doc(
            ANNOUNCED + "<p>Les 3 actions prioritaires :</p><ul><li>Créer une maison de santé</li>"
                        "<li>Recruter un coordinateur</li><li>Former les aidants</li></ul>")))
        assert len(axes) == 3
        assert _titles(actions) == ["Créer une maison de santé", "Recruter un coordinateur", "Former les aidants"]

    def test_nothing_found(self) -> None:
        """A one-paragraph announcement of a signature: no axes, no actions, and the reason says so."""
        assert context_to_candidates(_context(_doc("<p>Le contrat local de santé de Valbrune est signé.</p>"))) \
            == ([], [], [], ["axes: none"])
