"""Load validated extractions into DuckDB, one transaction per document; read-only queries for analysts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from schemas.extraction import ContractExtraction

HERE = Path(__file__).parent
DEFAULT_DB = Path("warehouse/cls.duckdb")
DOCUMENT_TABLES = ("action_years", "actions", "objectives", "axes", "contract_partners", "contract_publics",
                   "contracts", "documents")


class WarehouseError(Exception):
    pass


def _views() -> list[Path]:
    return sorted((HERE / "views").glob("v_*.sql"))


def init_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute((HERE / "schema.sql").read_text(encoding="utf-8"))
    for view in _views():
        con.execute(view.read_text(encoding="utf-8"))


@contextmanager
def connect(db: Path | str = DEFAULT_DB, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    db = Path(db)
    if read_only and not db.exists():
        raise WarehouseError(f"{db}: no warehouse there (run `clsdata run` first)")
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        raise WarehouseError(f"{db}: cannot open the warehouse ({str(exc).splitlines()[0]})") from exc
    try:
        if not read_only:
            init_schema(con)
        yield con
    finally:
        con.close()


def _bbox(item: Any) -> list[float] | None:
    b = item.bbox
    return None if b is None else [b.x0, b.top, b.x1, b.bottom]


def extraction_to_rows(x: ContractExtraction, loaded_at: datetime) -> dict[str, list[tuple[Any, ...]]]:
    """Validated extraction -> rows per table (pure)."""
    cid = x.document.sha256
    ver = x.extractor_version
    axis_ids = {a.number: f"{cid}:ax:{i}" for i, a in enumerate(x.axes)}
    objective_ids: dict[tuple[str | None, str], str] = {}
    for i, o in enumerate(x.objectives):
        objective_ids.setdefault((o.axis, o.title), f"{cid}:ob:{i}")
    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in DOCUMENT_TABLES}
    rows["documents"].append((cid, x.document.path, x.document.media_type, x.document.pages, ver,
                              x.schema_version, loaded_at))
    c = x.contract
    rows["contracts"].append((cid, cid, c.document_kind, c.territory, c.period_start, c.period_end, c.signed_on,
                              c.declared_axes, c.declared_actions,
                              json.dumps([w.model_dump() for w in x.warnings], ensure_ascii=False), ver))
    for i, a in enumerate(x.axes):
        rows["axes"].append((f"{cid}:ax:{i}", cid, i, a.number, a.title, a.page, _bbox(a), ver))
    for i, o in enumerate(x.objectives):
        rows["objectives"].append((f"{cid}:ob:{i}", cid, axis_ids.get(o.axis) if o.axis else None, i, o.number,
                                   o.title, o.page, _bbox(o), ver))
    for i, a in enumerate(x.actions):
        aid = f"{cid}:ac:{i}"
        oid = objective_ids.get((a.axis, a.objective)) if a.objective else None
        if a.objective and oid is None:  # objective under another axis with the same title
            oid = next((v for (ax, t), v in objective_ids.items() if t == a.objective), None)
        rows["actions"].append((aid, cid, axis_ids.get(a.axis) if a.axis else None, oid, i, a.number, a.title,
                                a.page, _bbox(a), a.partners, a.publics, ver))
        rows["action_years"].extend((aid, y) for y in sorted(set(a.years)))
    for p in x.partners:
        rows["contract_partners"].append((cid, p.name, p.acronym, p.mentions, p.pages))
    for p in x.publics:
        rows["contract_publics"].append((cid, p.label, p.mentions, p.pages))
    return rows


def _delete_document(con: duckdb.DuckDBPyConnection, cid: str) -> None:
    con.execute("DELETE FROM action_years WHERE action_id IN (SELECT action_id FROM actions WHERE contract_id = ?)",
                [cid])
    for table in ("actions", "objectives", "axes", "contract_partners", "contract_publics", "contracts"):
        con.execute(f"DELETE FROM {table} WHERE contract_id = ?", [cid])
    con.execute("DELETE FROM documents WHERE document_id = ?", [cid])


def load_extraction(con: duckdb.DuckDBPyConnection, x: ContractExtraction) -> None:
    """Replace this document's rows in one transaction; on any error nothing of it changes."""
    rows = extraction_to_rows(x, datetime.now())
    con.execute("BEGIN TRANSACTION")
    try:
        _delete_document(con, x.document.sha256)
        con.execute("DELETE FROM quarantine WHERE path = ?", [x.document.path])
        for table in reversed(DOCUMENT_TABLES):
            if rows[table]:
                marks = ", ".join("?" * len(rows[table][0]))
                con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def quarantine_document(con: duckdb.DuckDBPyConnection, path: str, sha256: str | None, reason: str,
                        detail: str, extractor_version: str) -> None:
    con.execute("INSERT OR REPLACE INTO quarantine VALUES (?, ?, ?, ?, ?, ?)",
                [path, sha256, reason, detail, extractor_version, datetime.now()])


def query(db: Path | str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one SQL statement on the warehouse opened read-only."""
    with connect(db, read_only=True) as con:
        try:
            cur = con.execute(sql)
        except duckdb.Error as exc:
            raise WarehouseError(str(exc).splitlines()[0]) from exc
        columns = [d[0] for d in cur.description] if cur.description else []
        return columns, cur.fetchall()


def summary(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    """One row per loaded document: territory, kind, axes, objectives, actions."""
    cur = con.execute("""
        SELECT d.path, c.document_kind AS kind, coalesce(c.territory, '-') AS territory,
               (SELECT count(*) FROM axes x WHERE x.contract_id = c.contract_id) AS axes,
               (SELECT count(*) FROM objectives o WHERE o.contract_id = c.contract_id) AS objectives,
               (SELECT count(*) FROM actions a WHERE a.contract_id = c.contract_id) AS actions,
               json_array_length(c.warnings) AS warnings
        FROM contracts c JOIN documents d ON d.document_id = c.document_id
        ORDER BY d.path""")
    return [d[0] for d in cur.description], cur.fetchall()


def quarantined(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute("SELECT path, reason, detail FROM quarantine ORDER BY path").fetchall()
