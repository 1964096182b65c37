"""The review page in a real browser (Playwright driving Debian's Chromium, headless): a reviewer corrects an
action's title, moves an action to another axis, deletes a false action, saves; gold.yaml, provenance.yaml and
the warehouse rows follow. Also: invalid edits are refused next to the field; `review diff`; a machine re-run
does not overwrite reviewed rows."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
import yaml

from review.app import create_app
from tests.conftest import FIXTURES, ROOT, extraction_of
from warehouse import store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SLUG = "ernee-bocage-mayennais"


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    """A copy of two fixtures: the test edits their gold, never the repository's."""
    root = tmp_path / "fixtures"
    for slug in (SLUG, "le-mans-metropole"):
        shutil.copytree(FIXTURES / slug, root / slug, ignore=shutil.ignore_patterns("generator"))
    return root


@pytest.fixture
def server(fixtures: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(fixtures), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def page(server: str) -> Iterator[object]:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1500, "height": 900})
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(server)
        yield tab
        browser.close()
        assert errors == [], f"JavaScript errors: {errors}"


def test_a_reviewer_corrects_moves_deletes_and_saves(page: object, fixtures: Path, tmp_path: Path) -> None:
    tab = page  # playwright Page
    gold_path = fixtures / SLUG / "gold.yaml"
    before = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    tab.click(f"li[data-slug={SLUG}]")  # type: ignore[attr-defined]
    tab.wait_for_selector(".card.action")  # type: ignore[attr-defined]

    # the page is drawn with the boxes of the extracted items; clicking an action highlights its box
    tab.locator(".card.action").nth(6).click(position={"x": 4, "y": 4})  # type: ignore[attr-defined]
    tab.wait_for_selector("#overlay rect.selected")  # type: ignore[attr-defined]
    assert tab.locator("#page-label").text_content() == "page 3 / 4"  # type: ignore[attr-defined]

    tab.fill('input[data-path="actions.0.title"]', "Accompagner l’exercice coordonné et pluriprofessionnel")  # type: ignore[attr-defined]
    tab.select_option('select[data-path="actions.1.axis"]', "2")  # type: ignore[attr-defined]
    false_action = before["actions"][16]["title"]
    tab.click('button[data-action="delete"][data-path="actions.16"]')  # type: ignore[attr-defined]
    tab.fill("#reviewer", "Camille Durand")  # type: ignore[attr-defined]
    tab.check("#reviewed")  # type: ignore[attr-defined]
    tab.keyboard.press("Control+s")  # type: ignore[attr-defined]
    tab.wait_for_selector("#message.ok:has-text('enregistré')")  # type: ignore[attr-defined]

    text = gold_path.read_text(encoding="utf-8")
    after = yaml.safe_load(text)
    assert after["actions"][0]["title"] == "Accompagner l’exercice coordonné et pluriprofessionnel"
    assert after["actions"][1]["title"] == before["actions"][1]["title"] and after["actions"][1]["axis"] == "2"
    assert false_action not in [a["title"] for a in after["actions"]] and len(after["actions"]) == 16
    assert after["axes"] == before["axes"] and after["contract"]["territory"] == before["contract"]["territory"]
    assert text.startswith("# Reviewed gold")  # the reviewers' comments are kept
    provenance = yaml.safe_load((fixtures / SLUG / "provenance.yaml").read_text(encoding="utf-8"))
    assert provenance["reviewer"] == "Camille Durand" and provenance["review_status"] == "reviewed"

    # the corrections flow into the warehouse, and a machine re-run does not overwrite them
    db = tmp_path / "cls.duckdb"
    applied = subprocess.run([sys.executable, "-m", "clsdata.cli", "review", "--fixtures", str(fixtures), "apply",
                              SLUG, "--db", str(db)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert applied.returncode == 0, applied.stderr
    _, rows = store.query(db, "SELECT action_title, axis_number, origin, reviewed_by FROM v_actions ORDER BY action_id")
    assert len(rows) == 16 and {r[2:] for r in rows} == {("reviewed", "Camille Durand")}
    assert rows[0][0] == "Accompagner l’exercice coordonné et pluriprofessionnel"
    assert rows[1][1] == "2" and false_action not in [r[0] for r in rows]
    machine = extraction_of(fixtures / SLUG / "source.pdf")
    with store.connect(db) as con:
        assert store.load_extraction(con, machine) is False
    assert store.query(db, "SELECT count(*) FROM v_actions")[1] == [(16,)]


def test_an_invalid_edit_is_refused_next_to_its_field(page: object, fixtures: Path) -> None:
    tab = page
    gold_path = fixtures / "le-mans-metropole" / "gold.yaml"
    before = gold_path.read_text(encoding="utf-8")
    tab.click("li[data-slug=le-mans-metropole]")  # type: ignore[attr-defined]
    tab.wait_for_selector(".card.action")  # type: ignore[attr-defined]
    tab.fill('input[data-path="actions.2.title"]', "")  # type: ignore[attr-defined]
    tab.fill("#reviewer", "Camille Durand")  # type: ignore[attr-defined]
    tab.click("#save")  # type: ignore[attr-defined]
    tab.wait_for_selector("#message.error")  # type: ignore[attr-defined]
    assert tab.locator('input[data-path="actions.2.title"].invalid').count() == 1  # type: ignore[attr-defined]
    assert "at least 1 character" in tab.locator(".problem").first.text_content()  # type: ignore[attr-defined]
    assert gold_path.read_text(encoding="utf-8") == before


def test_review_diff_prints_the_differences_with_the_gold(fixtures: Path) -> None:
    gold = fixtures / SLUG / "gold.yaml"
    gold.write_text(gold.read_text(encoding="utf-8").replace(
        "Accompagnement de l’exercice coordonné", "Accompagnement de l’exercice concerté"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "clsdata.cli", "review", "--fixtures", str(fixtures), "diff", SLUG],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "actions: gold item not found: 'Accompagnement de l’exercice concerté" in proc.stdout
    assert "actions: predicted item not in gold: 'Accompagnement de l’exercice coordonné" in proc.stdout


def test_a_reviewer_chooses_an_ambiguous_territory_and_the_next_resolution_applies_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 'Territoires' panel: Saint-Martin names six communes; the reviewer picks the Antilles' one."""
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from warehouse import geo

    overrides = tmp_path / "territories.yaml"
    monkeypatch.setenv("CLSDATA_TERRITORIES", str(overrides))
    db = tmp_path / "cls.duckdb"
    with store.connect(db) as con:
        store.load_extraction(con, extraction_of(FIXTURES / "saint-martin" / "source.html"))
    assert store.query(db, "SELECT match_status FROM territories")[1] == [("ambiguous",)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(FIXTURES, db, overrides), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            tab = browser.new_page()
            tab.goto(f"http://127.0.0.1:{port}")
            tab.fill("#reviewer", "Camille Relectrice")
            item = tab.locator("#territory-list li[data-territory='saint-martin']")
            item.locator("select.candidate").select_option("commune:97801")
            item.locator("button.save-territory").click()
            item.locator(".saved").wait_for()
            item.locator("input.codes").fill("commune:99999")  # not in the official geography: refused
            item.locator("button.save-territory").click()
            item.locator(".problem").wait_for()
            assert "99999" in item.locator(".problem").inner_text()
            browser.close()
    finally:
        srv.should_exit = True
        thread.join(10)
    chosen = geo.read_overrides(overrides).territories["saint-martin"]
    assert (chosen.codes, chosen.reviewer) == (["commune:97801"], "Camille Relectrice")
    with store.connect(db) as con:
        con.execute("BEGIN TRANSACTION")
        geo.resolve(con)
        con.execute("COMMIT")
    assert store.query(db, "SELECT match_status, match_method, official_codes FROM territories")[1] == [
        ("matched", "override", ["97801"])]
