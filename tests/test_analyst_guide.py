"""docs/analyst-guide.md: every query runs on a warehouse built from the fixtures and gives the documented
answer; exports carry every table and view and leave personal data out unless asked."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.sources import sources_to_files
from tests.conftest import FIXTURES, extraction_of
from warehouse import guide, store

QUESTIONS = guide.questions(guide.GUIDE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `clsdata run --source fixtures` builds, in the order the run finds them, without the scanned
    variants (the same contracts again: their gold.yaml links to the original's)."""
    db = tmp_path_factory.mktemp("guide") / "cls.duckdb"
    with store.connect(db) as con:
        for path in sources_to_files([FIXTURES]):
            if not (path.parent / "gold.yaml").is_symlink():
                store.load_extraction(con, extraction_of(path.resolve()))
    return db


def test_the_guide_asks_at_least_twelve_questions() -> None:
    assert len(QUESTIONS) >= 12
    assert all(q.answer for q in QUESTIONS), "every question has its documented answer"


@pytest.mark.parametrize("question", QUESTIONS, ids=[f"q{i + 1}" for i in range(len(QUESTIONS))])
def test_each_guide_query_gives_the_documented_answer(warehouse: Path, question: guide.Question) -> None:
    assert guide.answer(warehouse, question.sql) == question.answer


def test_export_writes_every_table_and_view_and_keeps_contacts_out(warehouse: Path, tmp_path: Path) -> None:
    with store.connect(warehouse) as con:  # a contact, so that leaving it out is observable
        con.execute("INSERT INTO contacts SELECT contract_id, 'email', 'coordination@example.fr', 'coordinateur', 1 "
                    "FROM contracts LIMIT 1")
    parquet = tmp_path / "parquet"
    store.export(warehouse, parquet, "parquet")
    names = {p.name for p in parquet.iterdir()}
    assert {f"{t}.parquet" for t in store.EXPORT_TABLES} <= names and "contacts.parquet" not in names
    con = duckdb.connect()
    actions = con.execute(f"SELECT count(*), count(DISTINCT department) FROM read_parquet("
                          f"'{parquet.as_posix()}/v_actions/*/*.parquet', hive_partitioning = true)").fetchone()
    expected = duckdb.connect(str(warehouse), read_only=True).execute(
        "SELECT count(*), count(DISTINCT department) FROM v_actions").fetchone()
    assert actions == expected
    csv_dir = tmp_path / "csv"
    store.export(warehouse, csv_dir, "csv", with_contacts=True)
    assert "coordination@example.fr" in (csv_dir / "contacts.csv").read_text(encoding="utf-8")
    header = (csv_dir / "v_actions.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("action_id,contract_id,territory_id,territory,")


def test_a_warehouse_of_another_schema_version_is_refused_with_the_way_out(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE documents (document_id VARCHAR)")  # a version-1 file has no meta table
    con.close()
    with pytest.raises(store.WarehouseError, match=r"old.duckdb: built with warehouse schema 1.*--rebuild"), \
            store.connect(db):
        pass
