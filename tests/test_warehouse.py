"""warehouse/: a real DuckDB file; one transaction per document; re-running gives the same warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from schemas.extraction import ContractExtraction
from tests.conftest import FIXTURES, extraction_of
from warehouse import store

TABLES = ("documents", "contracts", "axes", "objectives", "actions", "action_years", "contract_partners",
          "contract_publics")


def _snapshot(db: Path) -> dict[str, list[tuple]]:
    with store.connect(db, read_only=True) as con:
        cols = {t: [c[0] for c in con.execute(f"DESCRIBE {t}").fetchall() if c[0] != "loaded_at"] for t in TABLES}
        return {t: sorted(con.execute(f"SELECT {', '.join(cols[t])} FROM {t}").fetchall(), key=repr) for t in TABLES}


@pytest.fixture()
def seeds() -> list[ContractExtraction]:
    """One document per contract: scanned variants (gold linked to their original's) are the same contracts.
    Documents with actions come first (the tests below load the first one and read its actions)."""
    found = [extraction_of(p) for p in sorted(FIXTURES.glob("*/source.pdf"))
             if not (p.parent / "gold.yaml").is_symlink()]
    return sorted(found, key=lambda x: not x.actions)


def test_reloading_gives_the_same_warehouse(tmp_path: Path, seeds: list[ContractExtraction]) -> None:
    db = tmp_path / "cls.duckdb"
    with store.connect(db) as con:
        for x in seeds:
            store.load_extraction(con, x)
    first = _snapshot(db)
    with store.connect(db) as con:
        for x in reversed(seeds):
            store.load_extraction(con, x)
    assert _snapshot(db) == first
    assert len(first["documents"]) == len(seeds)


def test_v_actions_has_one_row_per_action_with_territory_axis_objective_years(
        tmp_path: Path, seeds: list[ContractExtraction]) -> None:
    db = tmp_path / "cls.duckdb"
    with store.connect(db) as con:
        for x in seeds:
            store.load_extraction(con, x)
    _, rows = store.query(db, "SELECT count(*) FROM v_actions")
    assert rows[0][0] == sum(len(x.actions) for x in seeds)
    _, rows = store.query(db, """SELECT axis_title, objective_title, years FROM v_actions
                                 WHERE territory = 'Angers Loire Métropole' AND action_title = 'Fortes chaleurs'""")
    assert rows == [("SANTÉ ENVIRONNEMENTALE / URBANISME", "Prévenir les risques", [2026])]
    _, rows = store.query(db, "SELECT axis_number, count(*) FROM v_actions WHERE territory = "
                              "'Ernée et Bocage mayennais' GROUP BY 1 ORDER BY 1")
    assert rows == [("1", 5), ("2", 7), ("3", 2), ("4", 3)]


def test_a_failed_load_leaves_the_previous_rows(tmp_path: Path, seeds: list[ContractExtraction]) -> None:
    db = tmp_path / "cls.duckdb"
    good = seeds[0]
    with store.connect(db) as con:
        store.load_extraction(con, good)
    before = _snapshot(db)
    # same document, but an action whose id collides: the insert fails half-way through
    broken = good.model_copy(update={"actions": [*good.actions, good.actions[0]]})
    with store.connect(db) as con:
        con.execute("CREATE UNIQUE INDEX IF NOT EXISTS ux_title ON actions(contract_id, title)")
        with pytest.raises(duckdb.Error):
            store.load_extraction(con, broken)
    assert _snapshot(db) == before


def test_rows_carry_provenance_and_extractor_version(tmp_path: Path, seeds: list[ContractExtraction]) -> None:
    db = tmp_path / "cls.duckdb"
    with store.connect(db) as con:
        store.load_extraction(con, seeds[0])
    _, rows = store.query(db, "SELECT document_path, page, bbox, extractor_version FROM v_actions LIMIT 1")
    path, page, bbox, version = rows[0]
    assert path.endswith("source.pdf") and page >= 1 and len(bbox) == 4 and version == seeds[0].extractor_version


def test_query_is_read_only(tmp_path: Path, seeds: list[ContractExtraction]) -> None:
    db = tmp_path / "cls.duckdb"
    with store.connect(db) as con:
        store.load_extraction(con, seeds[0])
    with pytest.raises(store.WarehouseError):
        store.query(db, "DELETE FROM actions")
    assert store.query(db, "SELECT count(*) FROM actions")[1][0][0] == len(seeds[0].actions)
