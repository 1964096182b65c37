"""Contracts and their publications (ADR 0011): one contract however often it is published, its reading
chosen by quality whatever the load order, supersession only between periods. Real extractions of every
fixture source, real DuckDB files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from review.apply import gold_to_extraction
from schemas.gold import Gold
from tests.conftest import FIXTURES, SOURCES, extraction_of
from warehouse import store

EVERY_TABLE = ("territories", "territory_units", "territory_communes", "partners", "documents", "pages",
               "contracts", "publications", "extractions", "axes", "objectives", "actions", "axis_themes",
               "action_years", "action_themes", "action_publics", "action_partners", "indicators", "governance",
               "contacts", "contract_partners", "contract_publics")


def _build(db: Path, paths: list[Path]) -> None:
    with store.connect(db) as con:
        for path in paths:
            store.load_extraction(con, extraction_of(path))


def _snapshot(db: Path) -> dict[str, list[tuple]]:
    out = {}
    with store.connect(db, read_only=True) as con:
        for table in EVERY_TABLE:
            columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] != "loaded_at"]
            out[table] = sorted(con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)
    return out


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The fixtures loaded in 3 shuffled orders (seeded), into 3 warehouses."""
    dbs = []
    for seed in (1, 2, 3):
        paths = list(SOURCES)
        random.Random(seed).shuffle(paths)
        db = tmp_path_factory.mktemp(f"order{seed}") / "cls.duckdb"
        _build(db, paths)
        dbs.append(db)
    return dbs


def test_any_load_order_gives_the_same_warehouse_every_table(orders: list[Path]) -> None:
    first = _snapshot(orders[0])
    assert first["contracts"] and first["publications"]
    for db in orders[1:]:
        other = _snapshot(db)
        for table in EVERY_TABLE:
            assert other[table] == first[table], table


@pytest.mark.flow
def test_the_flow_builds_that_same_warehouse(orders: list[Path], fixtures_warehouse: Path) -> None:
    """`make run`'s warehouse (the Prefect flow, relative paths) equals the shuffled builds, paths aside."""
    def norm(db: Path) -> dict[str, list[tuple]]:
        root = str(FIXTURES.parent) + "/"
        return {t: sorted((tuple(v.replace(root, "") if isinstance(v, str) else v for v in r) for r in rows),
                          key=repr) for t, rows in _snapshot(db).items() if t != "extractions"}
    assert norm(fixtures_warehouse) == norm(orders[0])


def test_each_contract_once_with_its_publications_and_its_best_reading(orders: list[Path]) -> None:
    db = orders[0]
    _, rows = store.query(db, "SELECT contract_id, count(*), count(*) FILTER (WHERE chosen) FROM publications "
                              "GROUP BY 1")
    assert all(n_chosen == 1 for _, _, n_chosen in rows)
    _, contracts = store.query(db, "SELECT contract_id, publications FROM contracts")
    assert dict(contracts) == {cid: n for cid, n, _ in rows}
    # the scanned twins, the HTML page and its print: one contract each, read from a text layer
    _, pubs = store.query(db, """SELECT regexp_extract(path, 'fixtures/([^/]+)/', 1) AS slug, contract_id,
                                        reading_method, chosen FROM publications""")
    by_slug = {slug: (cid, method, chosen) for slug, cid, method, chosen in pubs}
    for scan in sorted(p.name for p in FIXTURES.iterdir() if p.name.endswith(("-scan", "-mixed"))):
        original = scan.rsplit("-", 1)[0]
        assert by_slug[scan][0] == by_slug[original][0], f"{scan} is a publication of {original}'s contract"
        assert by_slug[scan][1] in ("ocr", "mixed") and not by_slug[scan][2]
    _, readings = store.query(db, """SELECT c.contract_id, p.reading_method FROM contracts c
                                     JOIN publications p ON p.document_id = c.document_id""")
    text_contracts = {cid for _, cid, method, _ in pubs if method == "text"}
    assert all(method == "text" for cid, method in readings if cid in text_contracts)
    _, views = store.query(db, "SELECT count(*), count(DISTINCT action_id) FROM v_actions")
    assert views[0][0] == views[0][1]
    _, totals = store.query(db, "SELECT (SELECT count(*) FROM v_actions), (SELECT sum(actions) FROM contracts)")
    assert totals[0][0] == totals[0][1], "v_actions counts each contract's reading once"


def test_the_choice_and_its_reason_are_recorded(orders: list[Path]) -> None:
    _, rows = store.query(orders[0], """SELECT p.reason FROM publications p WHERE p.path LIKE '%ernee-bocage-mayennais%'
                                        ORDER BY p.rank""")
    assert rows[0][0].startswith("chosen: a text layer over OCR")
    assert rows[1][0] == "ranked below #1, which has a text layer over OCR"


def test_reviewed_gold_is_the_reading_and_a_different_period_supersedes(tmp_path: Path) -> None:
    db = tmp_path / "cls.duckdb"
    text = extraction_of(FIXTURES / "ernee-bocage-mayennais" / "source.pdf")
    scan = extraction_of(FIXTURES / "ernee-bocage-mayennais-scan" / "source.pdf")
    reviewed = gold_to_extraction(Gold.from_file(FIXTURES / "ernee-bocage-mayennais-scan" / "gold.yaml"), scan,
                                  "a reviewer")
    with store.connect(db) as con:
        store.load_extraction(con, text)
        store.load_extraction(con, reviewed, origin="reviewed", reviewed_by="a reviewer")
    _, rows = store.query(db, "SELECT p.path, p.reading_method, c.reading_reason FROM contracts c "
                              "JOIN publications p ON p.document_id = c.document_id")
    assert len(rows) == 1 and rows[0][0].endswith("-scan/source.pdf") and rows[0][1] == "reviewed"
    assert rows[0][2].startswith("chosen: reviewed gold over a text layer")
    # the next CLS of the territory (a new period) supersedes this one; copies never do
    contract = text.contract.model_copy(update={"period_start": 2027, "period_end": 2031})
    document = text.document.model_copy(update={"sha256": "f" * 64, "path": "inbox/ernee-2027.pdf"})
    with store.connect(db) as con:
        store.load_extraction(con, text.model_copy(update={"contract": contract, "document": document}))
    _, rows = store.query(db, "SELECT contract_id, status, publications FROM contracts ORDER BY 1")
    assert rows == [("ernee-et-bocage-mayennais:2023-2026", "superseded", 2),
                    ("ernee-et-bocage-mayennais:2027-2031", "current", 1)]


def test_a_publication_that_moves_to_another_contract_leaves_no_trace(tmp_path: Path) -> None:
    db = tmp_path / "cls.duckdb"
    x = extraction_of(FIXTURES / "pantin" / "source.pdf")
    with store.connect(db) as con:
        store.load_extraction(con, x)
        contract = x.contract.model_copy(update={"period_start": 2030, "period_end": 2034})
        store.load_extraction(con, x.model_copy(update={"contract": contract}))  # re-read: another period
    _, rows = store.query(db, "SELECT contract_id, status FROM contracts")
    assert rows == [("pantin:2030-2034", "current")]
    _, orphans = store.query(db, "SELECT count(*) FROM actions WHERE contract_id NOT IN "
                                 "(SELECT contract_id FROM contracts)")
    assert orphans == [(0,)]
