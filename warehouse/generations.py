"""Warehouse generations: readers never see a run half-way, and are never refused (ADR 0012).

The published warehouse (`warehouse/cls.duckdb`) is never written in place. A writer (a run, `review apply`)
works on a new generation, a copy of the published file beside it (`.cls.duckdb.<pid>-<id>.next`, or an empty
file for `--rebuild`); when it is done it checkpoints and closes it, fsyncs it, and renames it over the
published path (`os.replace`, atomic on POSIX). A reader that opened the published file before keeps reading
the old generation (its open file stays whole until it closes it); a reader opening it after reads the new
one; nobody gets a half-written state or a lock conflict, because no process ever holds a write lock on the
published path. One writer at a time is still the run lock's job (warehouse/lock.py).

Library functions, called by every writer in one or two places:
    begin(db, rebuild=False) -> Path     a new generation to write (schema checked/created there)
    publish(generation, db) -> int       make it the published warehouse; returns its generation number
    discard(generation)                  drop an unpublished generation
    writer(db) (context manager)         begin, yield a connection, publish on success (discard on error)
    check(db)                            the published warehouse has this clsdata's schema (read-only)
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse import store

_NEXT = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.next$")


def _generations_of(db: Path) -> list[tuple[Path, int]]:
    out = []
    for path in db.parent.glob(f".{db.name}.*.next"):
        m = _NEXT.match(path.name)
        if m and m["name"] == db.name:
            out.append((path, int(m["pid"])))
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead(db: Path | str) -> list[Path]:
    """Unpublished generations of `db` whose writer process is gone (killed): `begin` removes them; the ingest
    service reads their 'running' run records first, to record those runs 'aborted'."""
    return [path for path, pid in _generations_of(Path(db)) if not _alive(pid)]


def discard(generation: Path | str) -> None:
    generation = Path(generation)
    for leftover in (generation, generation.with_name(generation.name + ".wal")):
        leftover.unlink(missing_ok=True)


def check(db: Path | str) -> None:
    """Refuse early (WarehouseError, with the way out) a published warehouse of another schema version."""
    db = Path(db)
    if not db.exists():
        return
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise store.WarehouseError(f"{db}: cannot open the warehouse ({str(exc).splitlines()[0]})") from exc
    try:
        store.check_version(con, db)
    finally:
        con.close()


def begin(db: Path | str, *, rebuild: bool = False) -> Path:
    """A new generation of `db` to write: a copy of the published file (consistent: that file is never written
    in place), or an empty warehouse when `rebuild`. Generations left by dead processes are removed."""
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    for path, pid in _generations_of(db):
        if not _alive(pid):
            discard(path)
    generation = db.with_name(f".{db.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.next")
    if db.exists() and not rebuild:
        shutil.copyfile(db, generation)
    try:
        with store.connect(generation):
            pass  # schema created or checked (an older schema is refused with the way out)
    except BaseException:
        discard(generation)
        raise
    return generation


def publish(generation: Path | str, db: Path | str) -> int:
    """Checkpoint the generation, number it, and rename it over the published path (atomic). Returns its
    number (meta 'generation', 1 for a warehouse's first)."""
    generation, db = Path(generation), Path(db)
    with store.connect(generation) as con:
        row = con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        number = int(row[0]) + 1 if row else 1
        con.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?), ('published_at', ?)",
                    [str(number), datetime.now().isoformat(timespec="seconds")])
        con.execute("CHECKPOINT")
    fd = os.open(generation, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(generation, db)
    with suppress(OSError):  # the rename itself durable
        dir_fd = os.open(db.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return number


@contextmanager
def writer(db: Path | str, *, rebuild: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """One connection on a new generation, published when the block ends normally, discarded on an error."""
    generation = begin(db, rebuild=rebuild)
    try:
        with store.connect(generation) as con:
            yield con
    except BaseException:
        discard(generation)
        raise
    publish(generation, db)
