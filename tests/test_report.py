"""`clsdata report OUT/`: a static report opened in real headless Chromium (Debian's): the charts render, nothing
is requested from the network, a contract page shows its axes > actions, publications and provenance links."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def report(fixtures_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    proc = subprocess.run([sys.executable, "-m", "clsdata.cli", "report", str(out), "--db", str(fixtures_warehouse)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                       args=FLAGS, viewport={"width": 1200, "height": 900})
        yield context
        context.close()


def _open(browser, path: Path) -> tuple[object, list[str], list[str]]:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requests, errors


def test_the_charts_render_in_chromium_and_nothing_comes_from_the_network(browser, report: Path) -> None:  # type: ignore[no-untyped-def]
    page, requests, errors = _open(browser, report / "index.html")
    charts = page.eval_on_selector_all("svg.chart", """svgs => svgs.map(s => {
        const box = s.getBoundingClientRect();
        const marks = [...s.querySelectorAll('rect')].map(r => r.getBBox()).filter(b => b.width > 0 && b.height > 0);
        return {label: s.getAttribute('aria-label'), width: box.width, height: box.height, marks: marks.length};
    })""")
    assert len(charts) == 3, charts
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 100 and chart["marks"] >= 5, chart
    labels = " ".join(c["label"] for c in charts)
    assert "région" in labels and "socle" in labels and "year and theme" in labels
    filled = page.eval_on_selector_all("svg.chart rect.bar.value", "rs => rs.filter(r => r.getBBox().width > 0).length")
    assert filled >= 1, "at least one région is covered"
    png = page.screenshot(full_page=True)
    assert len(png) > 20_000
    assert [u for u in requests if not u.startswith("file://")] == [] and errors == []
    links = page.eval_on_selector_all("a[href^='contracts/']", "as => as.map(a => a.getAttribute('href'))")
    assert links and all((report / link).exists() for link in links)


def test_a_contract_page_shows_axes_actions_publications_and_provenance(browser, report: Path) -> None:  # type: ignore[no-untyped-def]
    page, requests, errors = _open(browser, report / "contracts" / "ernee-et-bocage-mayennais_2023-2026.html")
    text = page.inner_text("body")
    assert "Axe 1" in text and "Publications (2)" in text and "CC de l'Ernée" in text
    assert page.locator(".axis li").count() > 5
    hrefs = page.eval_on_selector_all(".axis a", "as => as.map(a => a.href)")
    assert hrefs and all(h.startswith("file://") and "#page=" in h for h in hrefs)
    target = Path(hrefs[0].split("#")[0].removeprefix("file://"))
    assert target.exists() and target.name == "source.pdf"
    assert [u for u in requests if not u.startswith("file://")] == [] and errors == []
