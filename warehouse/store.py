"""Load validated extractions into DuckDB, one transaction per document; read-only queries for analysts."""

from __future__ import annotations

import json
import os
import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.rules import vocabularies
from schemas.extraction import ContractExtraction

HERE = Path(__file__).parent
DEFAULT_DB = Path("warehouse/cls.duckdb")
WAREHOUSE_VERSION = 5  # bump when a table changes; an older file must be rebuilt (`clsdata run --rebuild`)
# Tables holding one document's rows, children first (deleted in this order, inserted in reverse).
DOCUMENT_TABLES = ("pages", "action_years", "action_partners", "action_publics", "action_themes", "axis_themes",
                   "indicators", "governance", "contacts", "actions", "objectives", "axes", "contract_partners",
                   "contract_publics", "contracts", "documents")


class WarehouseError(Exception):
    pass


REBUILD = "it is derived from the documents: rebuild it with `clsdata run --rebuild`"
_DAMAGE = ("not a valid duckdb database", "could not read enough bytes", "corrupt database file", "checksum",
           "failed to read", "serializ", "deserializ", "internal error", "invalid block", "database file")


def is_damage(exc: BaseException) -> bool:
    """Whether a DuckDB error means the file itself is damaged (truncated, overwritten), not a bad query."""
    if isinstance(exc, duckdb.SerializationException | duckdb.InternalException):
        return True
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and not isinstance(
        exc, duckdb.ParserException | duckdb.BinderException | duckdb.CatalogException | duckdb.ConversionException
        | duckdb.InvalidInputException | duckdb.PermissionException | duckdb.InterruptException
        | duckdb.OutOfMemoryException | duckdb.ConstraintException) and any(d in text for d in _DAMAGE)


def damaged(db: Path | str, exc: BaseException) -> WarehouseError:
    return WarehouseError(f"{db}: the warehouse file is damaged ({_first_line(exc)}); {REBUILD}")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


def verify(con: duckdb.DuckDBPyConnection, db: Path | str = "") -> None:
    """Read every row of every table (checksums are checked on read): WarehouseError naming --rebuild when a
    block is damaged. ~0.1 s per 100 MB; run by `clsdata status` and at the start of every run."""
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                            "current_database() AND schema_name = 'main'").fetchall()]
        for table in tables:
            con.execute(f'SELECT count(*), sum(hash(t)) FROM "{table}" t').fetchall()
    except duckdb.Error as exc:
        raise damaged(db, exc) from exc


def _views() -> list[Path]:
    return sorted((HERE / "views").glob("v_*.sql"))


def slug(text: str) -> str:
    """Stable key from a name: 'Laval Agglomération' -> 'laval-agglomeration'."""
    folded = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "x"


_READY: set[tuple[str, int, int]] = set()  # warehouse files whose schema this process has created or checked


def _identity(db: Path | str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(db)
    except OSError:
        return None
    return (str(Path(db).resolve()), st.st_dev, st.st_ino)  # a rebuilt file is a new inode


def forget(db: Path | str) -> None:
    """Before a warehouse file is deleted (`--rebuild`): its next connection creates the schema again (a new
    file may get the old one's inode)."""
    identity = _identity(db)
    if identity is not None:
        _READY.discard(identity)


def init_schema(con: duckdb.DuckDBPyConnection, db: Path | str = "") -> None:
    """Create or upgrade the schema (tables, views, themes), once per process and file: later connections of
    this process to the same file only check its version."""
    identity = _identity(db) if db else None
    if identity in _READY:
        check_version(con, db)
        return
    _create_schema(con, db)
    if identity is not None:
        _READY.add(identity)


def _create_schema(con: duckdb.DuckDBPyConnection, db: Path | str = "") -> None:
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    row = con.execute("SELECT value FROM meta WHERE key = 'warehouse_version'").fetchone()
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if row is None and "documents" in tables or row is not None and int(row[0]) != WAREHOUSE_VERSION:
        found = row[0] if row else "1"
        raise WarehouseError(f"{db}: built with warehouse schema {found}, this clsdata writes schema "
                             f"{WAREHOUSE_VERSION}; rebuild it from the documents with `clsdata run --rebuild`")
    con.execute((HERE / "schema.sql").read_text(encoding="utf-8"))
    con.execute("INSERT OR REPLACE INTO meta VALUES ('warehouse_version', ?)", [str(WAREHOUSE_VERSION)])
    vocab = vocabularies()
    con.execute("DELETE FROM themes")
    con.executemany("INSERT INTO themes VALUES (?, ?, ?, ?)",
                    [(t.code, t.label, t.socle, vocab.socle.get(t.socle or "")) for t in vocab.themes])
    for view in _views():
        con.execute(view.read_text(encoding="utf-8"))


@contextmanager
def connect(db: Path | str = DEFAULT_DB, *, read_only: bool = False,
            config: dict[str, Any] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse. Writing (read_only=False) creates or upgrades its schema: only the ingest
    service (clsdata/service.py) opens it so, under the run lock. Damage is one WarehouseError naming
    `--rebuild`."""
    db = Path(db)
    if read_only and not db.exists():
        raise WarehouseError(f"{db}: no warehouse there (run `clsdata run` first)")
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    if db.exists() and not db.is_file():
        raise WarehouseError(f"{db}: not a regular file, not a warehouse")
    try:
        con = duckdb.connect(str(db), read_only=read_only, config=config or {})
    except duckdb.Error as exc:
        if is_damage(exc):
            raise damaged(db, exc) from exc
        raise WarehouseError(f"{db}: cannot open the warehouse ({_first_line(exc)})") from exc
    try:
        try:
            if not read_only:
                init_schema(con, db)
            else:
                check_version(con, db)
        except duckdb.Error as exc:
            if is_damage(exc):
                raise damaged(db, exc) from exc
            raise
        yield con
    finally:
        con.close()


def check_version(con: duckdb.DuckDBPyConnection, db: Path | str) -> None:
    """A warehouse opened read-only: it has clsdata's `meta` and this clsdata's schema version."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'warehouse_version'").fetchone()
    except duckdb.CatalogException:
        raise WarehouseError(f"{db}: not a clsdata warehouse (no `meta` table); {REBUILD}") from None
    if row is None or int(row[0]) != WAREHOUSE_VERSION:
        raise WarehouseError(f"{db}: built with warehouse schema {row[0] if row else '?'}, this clsdata reads "
                             f"schema {WAREHOUSE_VERSION}; rebuild it from the documents with `clsdata run --rebuild`")


def _bbox(item: Any) -> list[float] | None:
    b = item.bbox
    return None if b is None else [b.x0, b.top, b.x1, b.bottom]


def extraction_to_rows(x: ContractExtraction, loaded_at: datetime, origin: str = "machine",
                       reviewed_by: str | None = None, reviewed_on: Any = None) -> dict[str, list[tuple[Any, ...]]]:
    """Validated extraction -> rows per table (pure). Territory and partner rows are upserted separately."""
    cid = x.document.sha256
    ver = x.extractor_version
    axis_ids = {a.number: f"{cid}:ax:{i}" for i, a in enumerate(x.axes)}
    objective_ids: dict[tuple[str | None, str], str] = {}
    for i, o in enumerate(x.objectives):
        objective_ids.setdefault((o.axis, o.title), f"{cid}:ob:{i}")
    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in (*DOCUMENT_TABLES, "territories", "partners")}
    rows["documents"].append((cid, x.document.path, x.document.media_type, x.document.pages, ver,
                              x.schema_version, loaded_at, origin, reviewed_by, reviewed_on))
    c = x.contract
    tid = slug(c.territory) if c.territory else None
    if c.territory:
        rows["territories"].append((tid, c.territory, c.territory_kind, c.department, c.region))
    status = "overview" if c.document_kind == "overview" else "current"
    rows["contracts"].append((cid, cid, c.document_kind, tid, c.territory, c.generation, status, c.period_start,
                              c.period_end, c.signed_on, c.declared_axes, c.declared_actions,
                              json.dumps([w.model_dump() for w in x.warnings], ensure_ascii=False), ver))
    for i, axis in enumerate(x.axes):
        rows["axes"].append((f"{cid}:ax:{i}", cid, i, axis.number, axis.title, axis.page, _bbox(axis),
                             axis.ocr_confidence, ver))
        rows["axis_themes"].extend((f"{cid}:ax:{i}", t.code, r + 1, t.evidence) for r, t in enumerate(axis.themes))
    for i, o in enumerate(x.objectives):
        rows["objectives"].append((f"{cid}:ob:{i}", cid, axis_ids.get(o.axis) if o.axis else None, i, o.number,
                                   o.title, o.page, _bbox(o), o.ocr_confidence, ver))
    vocab = vocabularies()
    for i, a in enumerate(x.actions):
        aid = f"{cid}:ac:{i}"
        oid = objective_ids.get((a.axis, a.objective)) if a.objective else None
        if a.objective and oid is None:  # objective under another axis with the same title
            oid = next((v for (ax, t), v in objective_ids.items() if t == a.objective), None)
        sheet = a.sheet
        pilot_names = [p for p in dict.fromkeys(a.partners) if p in set(a.pilots)]
        rows["actions"].append((aid, cid, axis_ids.get(a.axis) if a.axis else None, oid, i, a.number, a.title,
                                a.page, _bbox(a), sheet.pilot if sheet else None,
                                sheet.schedule if sheet else None, sorted(set(a.years)),
                                [t.code for t in a.themes], sorted(set(a.publics)),
                                pilot_names + [p for p in dict.fromkeys(a.partners) if p not in pilot_names],
                                a.ocr_confidence, ver))
        rows["action_years"].extend((aid, y) for y in sorted(set(a.years)))
        rows["action_themes"].extend((aid, t.code, r + 1, t.evidence) for r, t in enumerate(a.themes))
        rows["action_publics"].extend((aid, p) for p in dict.fromkeys(a.publics))
        pilots = {slug(p) for p in a.pilots}
        roles: dict[str, str] = {}
        for name in a.partners:
            known = vocab.partner(name)
            rows["partners"].append((slug(name), name, known.acronym if known else None,
                                     known.kind if known else None, known is not None))
            roles.setdefault(slug(name), "pilot" if slug(name) in pilots else "partner")
        rows["action_partners"].extend((aid, pid, role, cid) for pid, role in roles.items())
    rows["partners"] = list({r[0]: r for r in rows["partners"]}.values())
    rows["contract_partners"].extend((cid, m.name, m.acronym, m.mentions, m.pages) for m in x.partners)
    rows["contract_publics"].extend((cid, m.label, m.mentions, m.pages) for m in x.publics)
    for i, ind in enumerate(x.indicators):
        rows["indicators"].append((f"{cid}:in:{i}", cid, ind.label, ind.value, ind.unit, ind.year, ind.page,
                                   _bbox(ind), ver))
    rows["governance"].extend((cid, g.name, g.acronym, g.pages) for g in x.governance)
    rows["contacts"].extend({(c.kind, c.value): (cid, c.kind, c.value, c.role, c.page) for c in x.contacts}.values())
    rows["pages"].extend((cid, p.page, p.triage, p.reason, p.method, p.ocr_confidence, p.words) for p in x.pages)
    return rows


def _delete_document(con: duckdb.DuckDBPyConnection, cid: str) -> None:
    for table in ("action_years", "action_publics", "action_themes"):
        con.execute(f"DELETE FROM {table} WHERE action_id IN (SELECT action_id FROM actions WHERE contract_id = ?)",
                    [cid])
    con.execute("DELETE FROM axis_themes WHERE axis_id IN (SELECT axis_id FROM axes WHERE contract_id = ?)", [cid])
    for table in ("action_partners", "indicators", "governance", "contacts", "actions", "objectives", "axes",
                  "contract_partners", "contract_publics", "contracts"):
        con.execute(f"DELETE FROM {table} WHERE contract_id = ?", [cid])
    con.execute("DELETE FROM pages WHERE document_id = ?", [cid])
    con.execute("DELETE FROM documents WHERE document_id = ?", [cid])


def _refresh_status(con: duckdb.DuckDBPyConnection, territory_id: str) -> None:
    """The territory's contract with the latest period (then signing date, then load) is current; others are
    superseded. History is kept."""
    con.execute("""
        UPDATE contracts SET status = CASE WHEN contract_id = (
            SELECT c.contract_id FROM contracts c JOIN documents d ON d.document_id = c.document_id
            WHERE c.territory_id = ? AND c.document_kind = 'contract'
            ORDER BY coalesce(c.period_end, c.period_start, 0) DESC, coalesce(c.period_start, 0) DESC,
                     coalesce(c.generation, 0) DESC, c.signed_on DESC NULLS LAST, d.loaded_at DESC, c.contract_id
            LIMIT 1) THEN 'current' ELSE 'superseded' END
        WHERE territory_id = ? AND document_kind = 'contract'""", [territory_id, territory_id])


def _insert(con: duckdb.DuckDBPyConnection, head: str, rows: list[tuple[Any, ...]], batch: int = 250) -> None:
    """Many rows per statement: DuckDB's executemany runs one statement per row (10x slower here)."""
    width = len(rows[0])
    one = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        con.execute(f"{head} VALUES {', '.join([one] * len(chunk))}", [v for row in chunk for v in row])


def reviewed_document(con: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    """The reviewer of this document's loaded rows, when they come from reviewed gold."""
    row = con.execute("SELECT reviewed_by FROM documents WHERE document_id = ? AND origin = 'reviewed'",
                      [sha256]).fetchone()
    return None if row is None else str(row[0])


def reviewed_paths(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """path -> sha256 of documents whose rows come from reviewed gold."""
    return dict(con.execute("SELECT path, document_id FROM documents WHERE origin = 'reviewed'").fetchall())


def load_extraction(con: duckdb.DuckDBPyConnection, x: ContractExtraction, *, origin: str = "machine",
                    reviewed_by: str | None = None, reviewed_on: Any = None) -> bool:
    """Replace this document's rows in one transaction; on any error nothing of it changes. A machine load
    does not overwrite a document whose rows were reviewed (returns False then); a reviewed load does."""
    if origin == "machine" and reviewed_document(con, x.document.sha256):
        return False
    rows = extraction_to_rows(x, datetime.now(), origin, reviewed_by, reviewed_on)
    con.execute("BEGIN TRANSACTION")
    try:
        _delete_document(con, x.document.sha256)
        con.execute("DELETE FROM quarantine WHERE path = ?", [x.document.path])
        for table in ("territories", "partners"):
            if rows[table]:
                _insert(con, f"INSERT OR REPLACE INTO {table}", rows[table])
        for table in reversed(DOCUMENT_TABLES):
            if rows[table]:
                _insert(con, f"INSERT INTO {table}", rows[table])
        if rows["territories"]:
            _refresh_status(con, rows["territories"][0][0])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return True


def quarantine_document(con: duckdb.DuckDBPyConnection, path: str, sha256: str | None, reason: str,
                        detail: str, extractor_version: str) -> None:
    con.execute("INSERT OR REPLACE INTO quarantine VALUES (?, ?, ?, ?, ?, ?)",
                [path, sha256, reason, detail, extractor_version, datetime.now()])


READ_STATEMENTS = {duckdb.StatementType.SELECT: "SELECT", duckdb.StatementType.EXPLAIN: "EXPLAIN"}


def reader_config(memory_mb: int) -> dict[str, Any]:
    """A reader that sees the warehouse and nothing else: no files, no network, no extensions, a memory limit,
    no spilling (then `lock_reader`)."""
    return {"enable_external_access": False, "autoinstall_known_extensions": False,
            "autoload_known_extensions": False, "allow_community_extensions": False,
            "memory_limit": f"{memory_mb}MB", "max_temp_directory_size": "0KB"}


def lock_reader(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar (DuckDB's checks Python's signals from the query's thread and aborts the process on
    Ctrl+C), then the configuration locked: a query cannot SET anything back."""
    con.execute("SET enable_progress_bar = false")
    con.execute("SET lock_configuration = true")


def query(db: Path | str, sql: str, *, timeout_s: float = 60.0,
          memory_mb: int = 2048) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one read-only statement (SELECT, or EXPLAIN of one) on the warehouse, and only on it: the connection
    is read-only, cannot reach files, the network or extensions (`reader_config`), and the statement stops
    after `timeout_s` or at `memory_mb` with a WarehouseError saying so. Ctrl+C interrupts it
    (KeyboardInterrupt after `connection.interrupt()`)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise WarehouseError(_first_line(exc)) from exc
    if len(statements) != 1:
        raise WarehouseError(f"one statement at a time (got {len(statements)})")
    kind = statements[0].type
    if kind not in READ_STATEMENTS:
        raise WarehouseError(f"only a SELECT (or EXPLAIN) reads the warehouse here; got a {kind.name} statement")
    with connect(db, read_only=True, config=reader_config(memory_mb)) as con:
        lock_reader(con)
        verify(con, db)
        with _watchdog(con, timeout_s) as why:
            try:
                cur = con.execute(sql)
                columns = [d[0] for d in cur.description] if cur.description else []
                rows = cur.fetchall()
            except duckdb.InterruptException as exc:
                if why.get("stop") == "timeout":
                    raise WarehouseError(f"the query was stopped after {timeout_s:g} s (CLSDATA_QUERY_TIMEOUT)") \
                        from exc
                raise KeyboardInterrupt from exc
            except duckdb.OutOfMemoryException as exc:
                raise WarehouseError(f"the query needs more than {memory_mb} MB (CLSDATA_QUERY_MEMORY_MB); "
                                     f"select fewer rows or columns") from exc
            except duckdb.Error as exc:
                if is_damage(exc):
                    raise damaged(db, exc) from exc
                raise WarehouseError(_first_line(exc)) from exc
        if why.get("stop") == "sigint":
            raise KeyboardInterrupt
        return columns, rows


@contextmanager
def _watchdog(con: duckdb.DuckDBPyConnection, timeout_s: float) -> Iterator[dict[str, str]]:
    """While a statement runs in this (main) thread: `con.interrupt()` at the deadline or on SIGINT. Python runs
    signal handlers only between bytecodes, never during DuckDB's C++ execution, so SIGINT is seen through a
    wake-up file descriptor by a watcher thread. Yields {'stop': 'timeout' | 'sigint'} once stopped."""
    import os
    import select
    import signal

    why: dict[str, str] = {}
    done = threading.Event()
    main = threading.current_thread() is threading.main_thread()
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False) if main else None
    previous_handler = signal.signal(signal.SIGINT, lambda *_: why.setdefault("stop", "sigint")) if main else None
    deadline = time.monotonic() + timeout_s

    def watch() -> None:
        while not done.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                why.setdefault("stop", "timeout")
                con.interrupt()
                return
            ready, _, _ = select.select([read_fd], [], [], min(left, 0.2))
            if ready:
                signals = os.read(read_fd, 64)
                if signal.SIGINT in signals:
                    why.setdefault("stop", "sigint")
                    con.interrupt()
                    return

    watcher = threading.Thread(target=watch, name="clsdata-query-watchdog", daemon=True)
    watcher.start()
    try:
        yield why
    finally:
        done.set()
        watcher.join(1)
        if main:
            signal.set_wakeup_fd(previous_fd if previous_fd is not None else -1)
            signal.signal(signal.SIGINT, previous_handler)
        os.close(read_fd)
        os.close(write_fd)


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


def pages_not_from_text(con: duckdb.DuckDBPyConnection, paths: list[str]) -> list[tuple[Any, ...]]:
    """Pages of these documents not read from their text layer: (path, page, method, reason, OCR confidence)."""
    if not paths:
        return []
    return con.execute("""
        SELECT d.path, p.page, p.method, p.reason, p.ocr_confidence FROM pages p
        JOIN documents d ON d.document_id = p.document_id
        WHERE p.method <> 'text' AND p.triage <> 'empty' AND d.path IN (SELECT unnest(?))
        ORDER BY d.path, p.page""", [paths]).fetchall()


def quarantined(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute("SELECT path, reason, detail FROM quarantine ORDER BY path").fetchall()


EXPORT_TABLES = ("territories", "themes", "partners", "documents", "pages", "contracts", "axes", "axis_themes",
                 "objectives",
                 "actions", "action_years", "action_themes", "action_publics", "action_partners", "indicators",
                 "governance", "contract_partners", "contract_publics", "quarantine")
EXPORT_VIEWS = ("v_actions", "v_theme_coverage", "v_timeline", "v_partners", "v_socle_gaps")
PARTITIONED = {"v_actions": "department"}  # Parquet only: one folder per value (Hive style: department_key=53/)


def export(db: Path | str, out_dir: Path, fmt: str, *, with_contacts: bool = False) -> list[Path]:
    """Every table and analyst view to `out_dir` as Parquet (v_actions partitioned by département) or CSV with a
    header; personal data (`contacts`) only when asked. Returns the files and folders written."""
    if fmt not in ("parquet", "csv"):
        raise WarehouseError(f"unknown export format {fmt!r} (parquet or csv)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    names = [*EXPORT_TABLES, *(("contacts",) if with_contacts else ()), *EXPORT_VIEWS]
    with connect(db, read_only=True) as con:
        verify(con, db)
        for name in names:
            partition = PARTITIONED.get(name) if fmt == "parquet" else None
            target = out_dir / (name if partition else f"{name}.{fmt}")
            options = "FORMAT PARQUET" if fmt == "parquet" else "FORMAT CSV, HEADER"
            source = f"SELECT * FROM {name}"
            if partition:
                source = f"SELECT *, coalesce({partition}, 'unknown') AS {partition}_key FROM {name}"
                options += f", PARTITION_BY ({partition}_key), OVERWRITE_OR_IGNORE"
            try:
                con.execute(f"COPY ({source}) TO '{target.as_posix()}' ({options})")
            except duckdb.Error as exc:
                raise WarehouseError(f"{target}: export failed ({str(exc).splitlines()[0]})") from exc
            written.append(target)
    return written


# --- runs, change detection, fetch state ------------------------------------------------------------------------

def loaded_documents(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """sha256 -> extractor version of every loaded document (a document is unchanged when both match)."""
    return dict(con.execute("SELECT document_id, extractor_version FROM documents").fetchall())


def quarantined_documents(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str]]:
    """path -> (sha256, extractor version) of quarantined files (unchanged bad files are not retried)."""
    rows = con.execute("SELECT path, sha256, extractor_version FROM quarantine").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def abort_dead_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Runs still recorded 'running' are dead (the caller holds the run lock, so no other run is alive: one was
    killed, or its machine stopped): recorded 'aborted'. Returns how many."""
    dead = con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()
    con.execute("UPDATE runs SET status = 'aborted' WHERE status = 'running'")
    return int(dead[0]) if dead else 0


def loaded_paths(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, datetime]]:
    """(path, sha256, loaded_at) of every loaded document."""
    return con.execute("SELECT path, document_id, loaded_at FROM documents ORDER BY path").fetchall()


def note_missing(con: duckdb.DuckDBPyConnection, run_id: str, gone: list[tuple[str, str]],
                 back: list[str]) -> None:
    """Sources whose documents are loaded but whose files are gone (path, sha256): recorded once, with the run
    that first missed them; files that came back are no longer listed."""
    if back:
        con.execute("DELETE FROM missing_sources WHERE path IN (SELECT unnest(?))", [back])
    for path, sha in gone:
        con.execute("INSERT OR IGNORE INTO missing_sources VALUES (?, ?, ?, ?)", [path, sha, datetime.now(), run_id])


def missing_sources(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """(path, status of its contract, noticed_at) of loaded documents whose source file is gone."""
    return con.execute("""
        SELECT m.path, coalesce(c.status, '-'), m.noticed_at FROM missing_sources m
        LEFT JOIN contracts c ON c.document_id = m.document_id ORDER BY m.path""").fetchall()


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, extractor_version: str) -> None:
    con.execute("INSERT INTO runs VALUES (?, ?, NULL, ?, NULL, NULL, NULL, NULL, 'running')",
                [run_id, datetime.now(), extractor_version])


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, loaded: int, unchanged: int, quarantined: int,
               failed: int, aborted: bool = False) -> None:
    """Close a run: 'ok', 'failed' (some document failed) or 'aborted' (the run itself stopped on an error; the
    counts say how far it got)."""
    status = "aborted" if aborted else "failed" if failed else "ok"
    con.execute("UPDATE runs SET finished_at = ?, loaded = ?, unchanged = ?, quarantined = ?, failed = ?, "
                "status = ? WHERE run_id = ?",
                [datetime.now(), loaded, unchanged, quarantined, failed, status, run_id])


def last_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = con.execute("""SELECT run_id, started_at, finished_at, status, loaded, unchanged, quarantined, failed,
                                extractor_version FROM runs ORDER BY started_at DESC LIMIT ?""", [limit])
    return [d[0] for d in cur.description], cur.fetchall()


def fetch_state(con: duckdb.DuckDBPyConnection, url: str) -> dict[str, str | None] | None:
    row = con.execute("SELECT etag, last_modified, sha256, raw_path FROM fetches WHERE url = ?", [url]).fetchone()
    return None if row is None else dict(zip(("etag", "last_modified", "sha256", "raw_path"), row, strict=True))


def save_fetch(con: duckdb.DuckDBPyConnection, url: str, etag: str | None, last_modified: str | None,
               sha256: str, raw_path: str) -> None:
    con.execute("INSERT OR REPLACE INTO fetches VALUES (?, ?, ?, ?, ?, ?)",
                [url, etag, last_modified, sha256, raw_path, datetime.now()])
