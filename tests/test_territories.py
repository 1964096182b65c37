"""Official territories: Etalab's découpage administratif (the npm package `make setup` installs) loaded into
geo_* tables, names as printed matched to EPCI and communes, coverage by département and région. Real data, real
DuckDB files; the expected populations are recomputed from the package's JSON, not from the warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT
from warehouse import geo, store


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> geo.Index:
    db = tmp_path_factory.mktemp("geo") / "cls.duckdb"
    with store.connect(db) as con:
        return geo.index(con)


def _json(name: str) -> list[dict]:
    return json.loads((geo.data_dir() / f"{name}.json").read_text(encoding="utf-8"))


def test_the_reference_tables_hold_the_pinned_package(tmp_path: Path) -> None:
    db = tmp_path / "cls.duckdb"
    with store.connect(db):
        pass
    pinned = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    _, rows = store.query(db, "SELECT (SELECT count(*) FROM geo_epci), (SELECT count(*) FROM geo_communes), "
                              "(SELECT value FROM meta WHERE key = 'geo_version')")
    communes = [c for c in _json("communes") if c["type"] == "commune-actuelle"]
    assert rows == [(len(_json("epci")), len(communes), f"{geo.PACKAGE}@{pinned[geo.PACKAGE]}")]
    assert len(_json("epci")) == 1255 and len(_json("communes")) == 37590  # the 2026 edition (6.0.0)


@pytest.mark.parametrize(("name", "kind", "department", "expected"), [
    ("Laval Agglomération", "agglomération", "53", ("exact-name", ["200083392"])),
    ("CC de l'Ernée", None, None, ("exact-name", ["245300355"])),
    ("Ernée et Bocage mayennais", None, "53", ("name-parts", ["245300355", "245300389"])),
    ("Mont Saint-Michel – Normandie", "agglomération", "50", ("exact-name", ["200069425"])),
    ("Pantin", "commune", "93", ("exact-name", ["93055"])),
    ("Saint-Martin", None, "978", ("exact-name", ["97801"])),
    ("Béthune Bruay Artois Lys Romanes", None, "62", ("fuzzy-name", ["200072460"])),
])
def test_names_as_printed_match_official_units(index: geo.Index, name: str, kind: str | None,
                                               department: str | None, expected: tuple[str, list[str]]) -> None:
    match = geo.name_to_match(name, kind, department, index)
    assert match.status == "matched", match.reason
    assert (match.method, [u.code for u in match.units]) == expected
    assert 0 < (match.confidence or 0) <= 1 and match.reason


def test_ambiguous_and_missing_matches_say_why(index: geo.Index) -> None:
    ambiguous = geo.name_to_match("Saint-Martin", None, None, index)
    assert ambiguous.status == "ambiguous" and len(ambiguous.candidates) > 1
    assert any(c.code == "97801" for c in ambiguous.candidates) and "review page" in ambiguous.reason
    petr = geo.name_to_match("PETR Cœur de Lorraine", "pays", "55", index)
    assert petr.status == "unmatched" and "PETR" in petr.reason and "not an EPCI" in petr.reason


def test_a_reviewers_choice_is_validated_written_and_applied(tmp_path: Path) -> None:
    path = tmp_path / "territories.yaml"
    with pytest.raises(ValueError, match="codes must be"):
        geo.write_override("petr-coeur-de-lorraine", ["epci:12"], "a reviewer", path=path)
    geo.write_override("petr-coeur-de-lorraine", ["epci:200034874", "epci:245501176"], "a reviewer",
                       "the PETR's two EPCI", path=path)
    chosen = geo.read_overrides(path)
    db = tmp_path / "cls.duckdb"
    with store.connect(db) as con:
        con.execute("INSERT INTO territories (territory_id, name, kind) VALUES "
                    "('petr-coeur-de-lorraine', 'Petr Cœur De Lorraine', 'pays')")
        found = geo.resolve(con, None, chosen)["petr-coeur-de-lorraine"]
        units = con.execute("SELECT level, code FROM territory_units ORDER BY code").fetchall()
    assert (found.status, found.method, found.confidence) == ("matched", "override", 1.0)
    assert units == [("epci", "200034874"), ("epci", "245501176")]
    assert "a reviewer" in found.reason


@pytest.mark.flow
def test_every_fixture_territory_is_resolved_or_listed_with_a_reason(fixtures_warehouse: Path) -> None:
    _, rows = store.query(fixtures_warehouse, """
        SELECT c.contract_id, t.match_status, t.official_codes, t.population, t.match_reason
        FROM contracts c LEFT JOIN territories t USING (territory_id) WHERE c.document_kind = 'contract'""")
    _, unmatched = store.query(fixtures_warehouse, "SELECT contract_id, match_reason FROM v_unmatched_contracts")
    listed = dict(unmatched)
    for contract_id, status, codes, population, _reason in rows:
        if status == "matched":
            assert codes and population > 0, contract_id
        else:
            assert listed.get(contract_id), f"{contract_id} is neither matched nor listed with its reason"
    assert any(status == "matched" for _, status, *_ in rows)
    proc = subprocess.run([sys.executable, "-m", "clsdata.cli", "status", "--db", str(fixtures_warehouse)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for contract_id, reason in unmatched:
        assert f"{contract_id}: " in proc.stdout and reason in proc.stdout


@pytest.mark.flow
def test_coverage_views_agree_with_the_official_data(fixtures_warehouse: Path) -> None:
    """Covered population by région, recomputed in Python from the package's JSON and the matched codes."""
    _, matched = store.query(fixtures_warehouse, """
        SELECT DISTINCT u.level, u.code FROM territory_units u
        JOIN contracts c ON c.territory_id = u.territory_id AND c.status = 'current'""")
    communes = {c["code"]: c for c in _json("communes") if c["type"] == "commune-actuelle"}
    members = {e["code"]: [m["code"] for m in e["membres"]] for e in _json("epci")}
    covered = {code for level, code in matched if level == "commune"}
    covered |= {m for level, code in matched if level == "epci" for m in members[code] if m in communes}
    expected: dict[str, int] = {}
    for code in covered:
        expected[communes[code]["region"]] = expected.get(communes[code]["region"], 0) + communes[code]["population"]
    _, rows = store.query(fixtures_warehouse, "SELECT region, covered_population, population, covered_share "
                                              "FROM v_coverage_by_region WHERE covered_population > 0")
    assert {r[0]: r[1] for r in rows} == expected
    for _, part, whole, share in rows:
        assert share == round(part / whole, 4)
    _, density = store.query(fixtures_warehouse, "SELECT actions, population, actions_per_10000 "
                                                 "FROM v_actions_per_population")
    assert density and all(d == round(a * 10000 / p, 2) for a, p, d in density)


def test_the_geography_is_never_downloaded_at_run_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLSDATA_GEO_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(store.WarehouseError, match="make setup"), store.connect(tmp_path / "cls.duckdb"):
        pass
    assert duckdb.__version__  # the warehouse was refused with the way out, nothing fetched


def test_the_documents_own_list_of_member_communes(index: geo.Index) -> None:
    members = [c["nom"] for c in _json("communes") if c["code"] in index.members["245300355"]]
    whole = geo.communes_to_match(members + ["Nulle-Part-sur-Mer"], "53", index)
    assert whole is not None and whole.method == "member-communes"
    assert [u.code for u in whole.units] == ["245300355"] and "1 not found" in whole.reason
    some = geo.communes_to_match(members[:3], "53", index)  # three communes of an EPCI: those communes
    assert some is not None and {u.level for u in some.units} == {"commune"} and len(some.units) == 3
    assert geo.communes_to_match(["Nulle-Part"], None, index) is None
