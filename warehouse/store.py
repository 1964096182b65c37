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
WAREHOUSE_VERSION = 7  # bump when a table changes; an older file must be rebuilt (`clsdata run --rebuild`)
# Tables holding one contract's rows (from its reading), children first (deleted in this order, inserted in reverse).
CONTRACT_TABLES = ("action_steps", "action_years", "action_partners", "action_publics", "action_themes", "axis_themes",
                   "indicators", "governance", "contacts", "actions", "objectives", "axes", "contract_partners",
                   "contract_publics", "contracts")
TERRITORY_COLUMNS = "territory_id, name, kind, department, region"


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
    lowered = text.lower().replace("œ", "oe").replace("æ", "ae")
    folded = "".join(c for c in unicodedata.normalize("NFD", lowered) if unicodedata.category(c) != "Mn")
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


def check_version(con: duckdb.DuckDBPyConnection, db: Path | str = "") -> None:
    """A warehouse of another schema version is refused with the way out (it is derived from the documents)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    row = (con.execute("SELECT value FROM meta WHERE key = 'warehouse_version'").fetchone()
           if "meta" in tables else None)
    if row is None and "documents" in tables or row is not None and int(row[0]) != WAREHOUSE_VERSION:
        found = row[0] if row else "1"
        raise WarehouseError(f"{db}: built with warehouse schema {found}, this clsdata writes schema "
                             f"{WAREHOUSE_VERSION}; rebuild it from the documents with `clsdata run --rebuild`")


def _create_schema(con: duckdb.DuckDBPyConnection, db: Path | str = "") -> None:
    check_version(con, db)
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute((HERE / "schema.sql").read_text(encoding="utf-8"))
    con.execute("INSERT OR REPLACE INTO meta VALUES ('warehouse_version', ?)", [str(WAREHOUSE_VERSION)])
    vocab = vocabularies()
    con.execute("DELETE FROM themes")
    con.executemany("INSERT INTO themes VALUES (?, ?, ?, ?)",
                    [(t.code, t.label, t.socle, vocab.socle.get(t.socle or "")) for t in vocab.themes])
    from warehouse import geo

    try:
        geo.load_reference(con)
    except geo.GeoError as exc:
        raise WarehouseError(str(exc)) from exc
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
                _check_readable(con, db)
        except duckdb.Error as exc:
            if is_damage(exc):
                raise damaged(db, exc) from exc
            raise
        yield con
    finally:
        con.close()


def _check_readable(con: duckdb.DuckDBPyConnection, db: Path | str) -> None:
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


# --- contracts and their publications (ADR 0011) -----------------------------------------------------------------

def contract_key(x: ContractExtraction) -> str:
    """The contract a document publishes: its territory and period (the CLS generation when no period is read).
    Documents whose territory was not read, and overviews, are contracts of their own."""
    c = x.contract
    sha = x.document.sha256
    if c.document_kind == "overview":
        return f"overview:{sha[:16]}"
    if not c.territory:
        return f"unread:{sha[:16]}"
    tid = slug(c.territory)
    if c.period_start or c.period_end:
        return f"{tid}:{c.period_start or '?'}-{c.period_end or '?'}"
    return f"{tid}:cls{c.generation}" if c.generation else f"{tid}:undated"


METHOD_RANK = {"reviewed": 3, "text": 2, "mixed": 1, "ocr": 0}


def reading_method(x: ContractExtraction, origin: str) -> tuple[str, int]:
    """(reviewed | text | mixed | ocr, pages whose words came from OCR)."""
    ocr = sum(1 for p in x.pages if p.method == "ocr" and p.words)
    text = sum(1 for p in x.pages if p.method == "text" and p.words)
    if origin == "reviewed":
        return "reviewed", ocr
    return ("text" if ocr == 0 else "ocr" if text == 0 else "mixed"), ocr


def _quality(p: dict[str, Any]) -> tuple[Any, ...]:
    """Higher is better: reviewed gold > text layer > partly OCR > OCR; then completeness: fewer warnings (a
    reading that contradicts the counts the document declares, or misses its territory), then more axes and
    actions; then a PDF (pages and boxes for provenance) over a web page; then the document id (a fixed order)."""
    return (METHOD_RANK[p["reading_method"]], -p["warnings"], p["axes"] + p["actions"],
            p["media_type"] == "application/pdf", p["document_id"])


def _why(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Why publication `a` ranks above `b`, in words: the first criterion of `_quality` that differs."""
    if a["reading_method"] != b["reading_method"]:
        words = {"reviewed": "reviewed gold", "text": "a text layer", "mixed": "partly OCR", "ocr": "OCR"}
        return f"{words[a['reading_method']]} over {words[b['reading_method']]}"
    if a["warnings"] != b["warnings"]:
        return f"fewer warnings ({a['warnings']} against {b['warnings']})"
    if a["axes"] + a["actions"] != b["axes"] + b["actions"]:
        return f"more axes and actions ({a['axes']} + {a['actions']} against {b['axes']} + {b['actions']})"
    if a["media_type"] != b["media_type"]:
        return "the same reading as a PDF, with pages and boxes for provenance"
    return "the same reading, first by document id"


def _choose(con: duckdb.DuckDBPyConnection, contract_id: str) -> list[dict[str, Any]]:
    """Rank the contract's publications, record rank, choice and reason; returns them best first."""
    cur = con.execute("SELECT * FROM publications WHERE contract_id = ?", [contract_id])
    names = [d[0] for d in cur.description]
    pubs = sorted((dict(zip(names, r, strict=True)) for r in cur.fetchall()), key=_quality, reverse=True)
    for i, p in enumerate(pubs):
        if len(pubs) == 1:
            reason = "the only publication"
        elif i == 0:
            reason = f"chosen: {_why(p, pubs[1])} (against {'/'.join(Path(pubs[1]['path']).parts[-2:])})"
        else:
            reason = f"ranked below #{i}, which has {_why(pubs[i - 1], p)}"
        con.execute("UPDATE publications SET chosen = ?, rank = ?, reason = ? WHERE document_id = ?",
                    [i == 0, i + 1, reason, p["document_id"]])
        p["reason"] = reason
    return pubs


def document_rows(x: ContractExtraction, loaded_at: datetime, origin: str = "machine",
                  reviewed_by: str | None = None, reviewed_on: Any = None) -> dict[str, list[tuple[Any, ...]]]:
    """The document's own rows (pure): documents, pages, its publication (unranked) and stored extraction."""
    cid = x.document.sha256
    method, ocr_pages = reading_method(x, origin)
    return {
        "documents": [(cid, x.document.path, x.document.media_type, x.document.pages, x.extractor_version,
                       x.schema_version, loaded_at, origin, reviewed_by, reviewed_on)],
        "pages": [(cid, p.page, p.triage, p.reason, p.method, p.ocr_confidence, p.words) for p in x.pages],
        "sections": [(cid, k, s.title, s.level, s.role, s.evidence, s.first_page, s.last_page)
                     for k, s in enumerate(x.sections)],
        "publications": [(cid, contract_key(x), x.document.path, x.document.media_type, method, ocr_pages,
                          len(x.axes), len(x.objectives), len(x.actions), len(x.warnings), False, 0, "")],
        "extractions": [(cid, x.model_dump_json())],
    }


def extraction_to_rows(x: ContractExtraction, contract_id: str | None = None, publications: int = 1,
                       reading_reason: str = "the only publication") -> dict[str, list[tuple[Any, ...]]]:
    """A contract's reading -> its rows per table (pure). Territory and partner rows are upserted separately."""
    contract_id = contract_id or contract_key(x)
    cid = x.document.sha256
    ver = x.extractor_version
    axis_ids = {a.number: f"{cid}:ax:{i}" for i, a in enumerate(x.axes)}
    objective_ids: dict[tuple[str | None, str], str] = {}
    for i, o in enumerate(x.objectives):
        objective_ids.setdefault((o.axis, o.title), f"{cid}:ob:{i}")
    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in (*CONTRACT_TABLES, "territories", "partners")}
    c = x.contract
    tid = slug(c.territory) if c.territory else None
    if c.territory:
        rows["territories"].append((tid, c.territory, c.territory_kind, c.department, c.region))
    status = "overview" if c.document_kind == "overview" else "current"
    rows["contracts"].append((contract_id, cid, c.document_kind, tid, c.territory, c.generation, status,
                              c.period_start, c.period_end, c.signed_on, c.declared_axes, c.declared_actions,
                              json.dumps([w.model_dump() for w in x.warnings], ensure_ascii=False), ver,
                              publications, reading_reason, len(x.axes), len(x.actions)))
    for i, axis in enumerate(x.axes):
        rows["axes"].append((f"{cid}:ax:{i}", contract_id, i, axis.number, axis.title, axis.page, _bbox(axis),
                             axis.ocr_confidence, ver))
        rows["axis_themes"].extend((f"{cid}:ax:{i}", t.code, r + 1, t.evidence) for r, t in enumerate(axis.themes))
    for i, o in enumerate(x.objectives):
        rows["objectives"].append((f"{cid}:ob:{i}", contract_id, axis_ids.get(o.axis) if o.axis else None, i,
                                   o.number, o.title, o.page, _bbox(o), o.ocr_confidence, ver))
    vocab = vocabularies()
    for i, a in enumerate(x.actions):
        aid = f"{cid}:ac:{i}"
        oid = objective_ids.get((a.axis, a.objective)) if a.objective else None
        if a.objective and oid is None:  # objective under another axis with the same title
            oid = next((v for (ax, t), v in objective_ids.items() if t == a.objective), None)
        sheet = a.sheet
        pilot_names = [p for p in dict.fromkeys(a.partners) if p in set(a.pilots)]
        rows["actions"].append((aid, contract_id, axis_ids.get(a.axis) if a.axis else None, oid, i, a.number,
                                a.title, a.page, _bbox(a), sheet.pilot if sheet else None,
                                sheet.schedule if sheet else None, sorted(set(a.years)),
                                [t.code for t in a.themes], sorted(set(a.publics)),
                                pilot_names + [p for p in dict.fromkeys(a.partners) if p not in pilot_names],
                                a.ocr_confidence, ver))
        rows["action_years"].extend((aid, y) for y in sorted(set(a.years)))
        if sheet is not None:
            rows["action_steps"].extend((aid, k, contract_id, step.title, sorted(set(step.years)), step.schedule)
                                        for k, step in enumerate(sheet.steps))
        rows["action_themes"].extend((aid, t.code, r + 1, t.evidence) for r, t in enumerate(a.themes))
        rows["action_publics"].extend((aid, p) for p in dict.fromkeys(a.publics))
        pilots = {slug(p) for p in a.pilots}
        roles: dict[str, tuple[str, str]] = {}
        for name in a.partners:
            known = vocab.partner(name)
            rows["partners"].append((slug(name), name, known.acronym if known else None,
                                     known.kind if known else None, known is not None))
            roles.setdefault(slug(name), ("pilot" if slug(name) in pilots else "partner", name))
        rows["action_partners"].extend((aid, pid, role, contract_id, name) for pid, (role, name) in roles.items())
    rows["partners"] = list({r[0]: r for r in rows["partners"]}.values())
    rows["contract_partners"].extend((contract_id, m.name, m.acronym, m.mentions, m.pages) for m in x.partners)
    rows["contract_publics"].extend((contract_id, m.label, m.mentions, m.pages) for m in x.publics)
    for i, ind in enumerate(x.indicators):
        rows["indicators"].append((f"{cid}:in:{i}", contract_id, ind.label, ind.value, ind.unit, ind.year,
                                   ind.page, _bbox(ind), ver))
    rows["governance"].extend((contract_id, g.name, g.acronym, g.pages) for g in x.governance)
    rows["contacts"].extend({(k.kind, k.value): (contract_id, k.kind, k.value, k.role, k.page)
                             for k in x.contacts}.values())
    return rows


def _delete_contract_rows(con: duckdb.DuckDBPyConnection, contract_id: str) -> None:
    for table in ("action_years", "action_publics", "action_themes"):
        con.execute(f"DELETE FROM {table} WHERE action_id IN (SELECT action_id FROM actions WHERE contract_id = ?)",
                    [contract_id])
    con.execute("DELETE FROM axis_themes WHERE axis_id IN (SELECT axis_id FROM axes WHERE contract_id = ?)",
                [contract_id])
    for table in ("action_steps", "action_partners", "indicators", "governance", "contacts", "actions", "objectives",
                  "axes", "contract_partners", "contract_publics", "contracts"):
        con.execute(f"DELETE FROM {table} WHERE contract_id = ?", [contract_id])


def _materialize(con: duckdb.DuckDBPyConnection, contract_id: str, loaded: str) -> set[str]:
    """Choose the contract's reading among its publications and make its rows the contract's (they are replaced
    only when the reading changed or is the document just `loaded`). Returns the ids of partners whose rows
    may now be unreferenced or named otherwise."""
    pubs = _choose(con, contract_id)
    row = con.execute("SELECT document_id FROM contracts WHERE contract_id = ?", [contract_id]).fetchone()
    if pubs and row is not None and row[0] == pubs[0]["document_id"] and pubs[0]["document_id"] != loaded:
        con.execute("UPDATE contracts SET publications = ?, reading_reason = ? WHERE contract_id = ?",
                    [len(pubs), pubs[0]["reason"], contract_id])
        return set()
    old_partners = {r[0] for r in con.execute("SELECT DISTINCT partner_id FROM action_partners WHERE contract_id = ?",
                                              [contract_id]).fetchall()}
    _delete_contract_rows(con, contract_id)
    if not pubs:
        return old_partners
    stored = con.execute("SELECT extraction FROM extractions WHERE document_id = ?",
                         [pubs[0]["document_id"]]).fetchone()
    assert stored is not None, f"publication {pubs[0]['document_id']} has no stored extraction"
    rows = extraction_to_rows(ContractExtraction.model_validate_json(stored[0]), contract_id, len(pubs),
                              pubs[0]["reason"])
    if rows["partners"]:
        _insert(con, "INSERT OR IGNORE INTO partners", rows["partners"])
    for table in reversed(CONTRACT_TABLES):
        if rows[table]:
            _insert(con, f"INSERT INTO {table}", rows[table])
    return old_partners | {r[0] for r in rows["partners"]}


def _refresh_territory(con: duckdb.DuckDBPyConnection, territory_id: str) -> bool:
    """The territory's row as its current contract's reading names it (deleted when no contract is left).
    Returns whether the territory still exists."""
    row = con.execute("""
        SELECT c.territory, e.extraction->>'$.contract.territory_kind', e.extraction->>'$.contract.department',
               e.extraction->>'$.contract.region'
        FROM contracts c JOIN extractions e ON e.document_id = c.document_id
        WHERE c.territory_id = ? ORDER BY c.status = 'current' DESC, c.contract_id DESC LIMIT 1""",
                      [territory_id]).fetchone()
    if row is None:
        for table in ("territory_communes", "territory_units", "territories"):
            con.execute(f"DELETE FROM {table} WHERE territory_id = ?", [territory_id])
        return False
    con.execute(f"INSERT OR REPLACE INTO territories ({TERRITORY_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                [territory_id, *row])
    return True


def _refresh_status(con: duckdb.DuckDBPyConnection, territory_id: str) -> None:
    """Supersession is between contracts of different periods: the territory's contract with the latest period
    (then generation, then signing date) is current, earlier ones are superseded. History is kept."""
    con.execute("""
        UPDATE contracts SET status = CASE WHEN contract_id = (
            SELECT c.contract_id FROM contracts c
            WHERE c.territory_id = ? AND c.document_kind = 'contract'
            ORDER BY coalesce(c.period_end, c.period_start, 0) DESC, coalesce(c.period_start, 0) DESC,
                     coalesce(c.generation, 0) DESC, c.signed_on DESC NULLS LAST, c.contract_id
            LIMIT 1) THEN 'current' ELSE 'superseded' END
        WHERE territory_id = ? AND document_kind = 'contract'""", [territory_id, territory_id])


def _insert(con: duckdb.DuckDBPyConnection, head: str, rows: list[tuple[Any, ...]], batch: int = 250,
            tail: str = "") -> None:
    """Many rows per statement: DuckDB's executemany runs one statement per row (10x slower here)."""
    width = len(rows[0])
    one = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        con.execute(f"{head} VALUES {', '.join([one] * len(chunk))}{tail}", [v for row in chunk for v in row])


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
    """Replace this publication in one transaction, then choose its contract's reading again (and that of the
    contract it published before, if it moved); on any error nothing changes. A machine load does not overwrite
    a document whose rows were reviewed (returns False then); a reviewed load does."""
    sha = x.document.sha256
    if origin == "machine" and reviewed_document(con, sha):
        return False
    rows = document_rows(x, datetime.now(), origin, reviewed_by, reviewed_on)
    con.execute("BEGIN TRANSACTION")
    try:
        before = con.execute("SELECT contract_id FROM publications WHERE document_id = ?", [sha]).fetchone()
        for table, key in (("pages", "document_id"), ("sections", "document_id"), ("publications", "document_id"),
                           ("extractions", "document_id"), ("documents", "document_id")):
            con.execute(f"DELETE FROM {table} WHERE {key} = ?", [sha])
        con.execute("DELETE FROM quarantine WHERE path = ?", [x.document.path])
        for table in ("documents", "pages", "sections", "publications", "extractions"):
            if rows[table]:
                _insert(con, f"INSERT INTO {table}", rows[table])
        contract_ids = list(dict.fromkeys([*([before[0]] if before else []), rows["publications"][0][1]]))
        territories = _territories_of(con, contract_ids)
        unreferenced: set[str] = set()
        for contract_id in contract_ids:
            unreferenced |= _materialize(con, contract_id, sha)
        territories |= _territories_of(con, contract_ids)
        for territory_id in sorted(territories):
            _refresh_status(con, territory_id)
            _refresh_territory(con, territory_id)
        if unreferenced:  # partners of replaced readings: gone when no action names them, else the first
            # spelling in sort order among the actions that do ("Kar'Ouest" / "Kar’Ouest"), whatever the load order
            con.execute("DELETE FROM partners WHERE partner_id IN (SELECT unnest(?)) AND partner_id NOT IN "
                        "(SELECT partner_id FROM action_partners)", [sorted(unreferenced)])
            con.execute("UPDATE partners SET name = n.name FROM (SELECT partner_id, min(name) AS name "
                        "FROM action_partners WHERE partner_id IN (SELECT unnest(?)) GROUP BY ALL) n "
                        "WHERE partners.partner_id = n.partner_id", [sorted(unreferenced)])
        after_load(con, sorted(territories))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return True


def _territories_of(con: duckdb.DuckDBPyConnection, contract_ids: list[str]) -> set[str]:
    return {r[0] for r in con.execute("SELECT territory_id FROM contracts WHERE contract_id IN (SELECT unnest(?)) "
                                      "AND territory_id IS NOT NULL", [contract_ids]).fetchall()}


def after_load(con: duckdb.DuckDBPyConnection, territory_ids: list[str]) -> None:
    """Resolve these territories to the official geography (warehouse/geo.py), in the load's transaction."""
    from warehouse import geo

    geo.resolve(con, territory_ids)


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
    """One row per loaded document (publication): its contract, what it reads, whether it is the reading."""
    cur = con.execute("""
        SELECT p.path, c.document_kind AS kind, coalesce(c.territory, '-') AS territory, p.axes, p.objectives,
               p.actions, p.warnings, p.reading_method AS read_by,
               CASE WHEN p.chosen THEN 'reading' ELSE 'copy' END AS role, p.contract_id AS contract
        FROM publications p JOIN contracts c ON c.contract_id = p.contract_id
        ORDER BY p.contract_id, p.rank""")
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


EXPORT_TABLES = ("territories", "territory_units", "territory_communes", "themes", "partners", "documents", "pages",
                 "sections", "contracts", "publications", "axes", "axis_themes", "objectives", "actions",
                 "action_steps", "action_years",
                 "action_themes", "action_publics", "action_partners", "indicators", "governance",
                 "contract_partners", "contract_publics", "quarantine", "geo_regions", "geo_departements",
                 "geo_epci", "geo_communes")
EXPORT_VIEWS = ("v_actions", "v_theme_coverage", "v_timeline", "v_partners", "v_socle_gaps",
                "v_coverage_by_department", "v_coverage_by_region", "v_actions_per_population",
                "v_unmatched_contracts")
PARTITIONED = {"v_actions": "department"}  # Parquet only: one folder per value (Hive style: department_key=53/)


def _schema_comments() -> dict[str, dict[str, str]]:
    """table -> column -> the comment beside it in schema.sql."""
    out: dict[str, dict[str, str]] = {}
    table = None
    for line in (HERE / "schema.sql").read_text(encoding="utf-8").splitlines():
        if m := re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", line):
            table = m[1]
            out[table] = {}
        elif table and (m := re.match(r"\s+(\w+)\s+[A-Z][A-Z0-9\[\]]*.*?--\s*(.+)$", line)):
            out[table][m[1]] = m[2].strip()
    return out


def column_meanings() -> dict[str, dict[str, str]]:
    """What each exported column means: warehouse/columns.yaml, else the comment in schema.sql, else the
    `common` entry of columns.yaml for that column name. A test keeps every exported column described."""
    import yaml

    documented = yaml.safe_load((HERE / "columns.yaml").read_text(encoding="utf-8"))
    comments = _schema_comments()
    common: dict[str, str] = documented.pop("common")
    out: dict[str, dict[str, str]] = {}
    for name in (*EXPORT_TABLES, "contacts", *EXPORT_VIEWS):
        out[name] = {**{k: v for k, v in common.items()}, **comments.get(name, {}),
                     **(documented.get(name) or {})}
    return out


def export(db: Path | str, out_dir: Path, fmt: str, *, with_contacts: bool = False) -> list[Path]:
    """Every table and analyst view to `out_dir` as Parquet (v_actions partitioned by département) or CSV with a
    header, and `manifest.json` (versions, row counts, files, each column's type and meaning); personal data
    (`contacts`) only when asked. Lists are Parquet lists (CSV: '[a, b]'); no fixed-size arrays. Returns the
    files and folders written."""
    if fmt not in ("parquet", "csv"):
        raise WarehouseError(f"unknown export format {fmt!r} (parquet or csv)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    names = [*EXPORT_TABLES, *(("contacts",) if with_contacts else ()), *EXPORT_VIEWS]
    meanings = column_meanings()
    entries = []
    with connect(db, read_only=True) as con:
        verify(con, db)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
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
                columns = con.execute(f"DESCRIBE {name}").fetchall()
                rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()
            except duckdb.Error as exc:
                raise WarehouseError(f"{target}: export failed ({str(exc).splitlines()[0]})") from exc
            written.append(target)
            files = (sorted(p.relative_to(out_dir).as_posix() for p in target.rglob(f"*.{fmt}")) if partition
                     else [target.name])
            entries.append({
                "name": name, "kind": "view" if name in EXPORT_VIEWS else "table", "rows": rows[0] if rows else 0,
                "files": files, **({"partitioned_by": f"{partition}_key"} if partition else {}),
                "columns": [{"name": c[0], "type": c[1], "meaning": meanings.get(name, {}).get(c[0], "")}
                            for c in columns]})
        extractors = [r[0] for r in con.execute("SELECT DISTINCT extractor_version FROM documents ORDER BY 1"
                                                ).fetchall()]
    manifest = {
        "warehouse": str(db), "warehouse_version": int(meta.get("warehouse_version", 0)),
        "generation": int(meta.get("generation", 0)), "published_at": meta.get("published_at"),
        "extractor_versions": extractors, "geo_data": meta.get("geo_version"), "format": fmt,
        "exported_at": datetime.now().isoformat(timespec="seconds"), "personal_data": with_contacts,
        "tables": entries,
    }
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    written.append(path)
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


def running_runs(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Runs recorded 'running' (in a generation left by a killed process), as rows of `runs`."""
    return con.execute("SELECT * FROM runs WHERE status = 'running'").fetchall()


def record_aborted(con: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> None:
    """Runs of killed processes (rows of `runs` read from their unpublished generations), recorded 'aborted'."""
    for row in rows:
        con.execute("INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'aborted')", list(row[:8]))


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
