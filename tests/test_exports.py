"""`clsdata export`: every file reads back, one by one, with pyarrow, pandas and polars (not only DuckDB), row
counts agree with the warehouse and manifest.json, every column has a meaning, personal data stays out unless
asked. The warehouse is the one `make run` builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.conftest import FIXTURES, extraction_of
from warehouse import store

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def exported(fixtures_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    store.export(fixtures_warehouse, out / "parquet", "parquet")
    store.export(fixtures_warehouse, out / "csv", "csv")
    return {"parquet": out / "parquet", "csv": out / "csv"}


def _counts(db: Path) -> dict[str, int]:
    names = [*store.EXPORT_TABLES, *store.EXPORT_VIEWS]
    _, rows = store.query(db, " UNION ALL ".join(f"SELECT '{n}', count(*) FROM {n}" for n in names))
    return dict(rows)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_exported_file_reads_with_pyarrow_pandas_and_polars(exported: dict[str, Path],
                                                                  fixtures_warehouse: Path, fmt: str) -> None:
    manifest = json.loads((exported[fmt] / "manifest.json").read_text(encoding="utf-8"))
    counts = _counts(fixtures_warehouse)
    seen = set()
    for entry in manifest["tables"]:
        name = entry["name"]
        seen.add(name)
        rows = {"pyarrow": 0, "pandas": 0, "polars": 0}
        for relative in entry["files"]:
            path = exported[fmt] / relative
            if fmt == "parquet":
                rows["pyarrow"] += pq.read_table(path).num_rows
                rows["pandas"] += len(pd.read_parquet(path))
                rows["polars"] += pl.read_parquet(path).height
            else:
                rows["pyarrow"] += pacsv.read_csv(path).num_rows
                rows["pandas"] += len(pd.read_csv(path))
                rows["polars"] += pl.read_csv(path, infer_schema_length=None).height
        assert rows == dict.fromkeys(rows, counts[name]) == dict.fromkeys(rows, entry["rows"]), name
    assert seen == set(counts)


def test_no_fixed_size_arrays_and_web_pages_null_boxes_read_back(exported: dict[str, Path], tmp_path: Path) -> None:
    """bbox used to be DOUBLE[4]: its NULLs (web pages) broke pyarrow ('Length spanned by list offsets')."""
    import pyarrow as pa

    for path in exported["parquet"].rglob("*.parquet"):
        schema = pq.read_schema(path)
        assert not [f.name for f in schema if pa.types.is_fixed_size_list(f.type)], path
    db = tmp_path / "web.duckdb"  # a contract read from its web page: every box is null
    with store.connect(db) as con:
        store.load_extraction(con, extraction_of(FIXTURES / "saint-leu" / "source.html"))
        store.load_extraction(con, extraction_of(FIXTURES / "est-cantal" / "source.pdf"))
    store.export(db, tmp_path / "out", "parquet")
    for name in ("actions", "axes"):
        boxes = pq.read_table(tmp_path / "out" / f"{name}.parquet").to_pydict()["bbox"]
        assert any(b is None for b in boxes) and any(b is not None for b in boxes)
        assert all(len(b) == 4 and b[0] <= b[2] and b[1] <= b[3] for b in boxes if b is not None)
        assert pd.read_parquet(tmp_path / "out" / f"{name}.parquet")["bbox"].isna().any()
        assert pl.read_parquet(tmp_path / "out" / f"{name}.parquet").schema["bbox"] == pl.List(pl.Float64)
    for partition in (tmp_path / "out" / "v_actions").rglob("*.parquet"):
        assert pq.read_table(partition).num_rows > 0


def test_the_manifest_gives_versions_counts_and_every_column_meaning(exported: dict[str, Path],
                                                                     fixtures_warehouse: Path) -> None:
    from pipeline import EXTRACTOR_VERSION

    manifest = json.loads((exported["parquet"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["warehouse_version"] == store.WAREHOUSE_VERSION
    assert manifest["extractor_versions"] == [EXTRACTOR_VERSION]
    assert manifest["geo_data"].startswith("@etalab/decoupage-administratif@")
    assert manifest["generation"] >= 1 and manifest["personal_data"] is False
    undocumented = [f"{t['name']}.{c['name']}" for t in manifest["tables"] for c in t["columns"] if not c["meaning"]]
    assert undocumented == [], "describe them in warehouse/columns.yaml"
    actions = next(t for t in manifest["tables"] if t["name"] == "v_actions")
    assert actions["partitioned_by"] == "department_key" and len(actions["files"]) > 1


def test_personal_data_is_exported_only_when_asked(fixtures_warehouse: Path, tmp_path: Path) -> None:
    db = tmp_path / "cls.duckdb"
    shutil.copyfile(fixtures_warehouse, db)
    with store.connect(db) as con:  # a contact, so that leaving it out is observable
        con.execute("INSERT INTO contacts SELECT contract_id, 'email', 'coordination@example.fr', 'coordinateur', 1 "
                    "FROM contracts LIMIT 1")
    store.export(db, tmp_path / "plain", "parquet")
    assert not (tmp_path / "plain" / "contacts.parquet").exists()
    store.export(db, tmp_path / "csv", "csv", with_contacts=True)
    assert "coordination@example.fr" in (tmp_path / "csv" / "contacts.csv").read_text(encoding="utf-8")
    header = (tmp_path / "csv" / "v_actions.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("action_id,contract_id,territory_id,territory,")
