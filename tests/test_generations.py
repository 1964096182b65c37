"""Reads never fail during a run (ADR 0012): a run writes a new warehouse generation and publishes it atomically;
readers (`clsdata query`, any DuckDB client opening the file read-only) see the old state or the new one, whole,
never an error, and never block the run. Real Prefect flow runs, real DuckDB files, real reader processes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import chdir
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES, ROOT
from warehouse import generations, store

# One state, checked whole: each contract's rows agree with its own counts, each has its reading.
WHOLE = """SELECT (SELECT value FROM meta WHERE key = 'generation') AS generation,
    (SELECT count(*) FROM contracts) AS contracts,
    (SELECT count(*) FROM contracts c WHERE c.actions <> (SELECT count(*) FROM actions a WHERE a.contract_id =
        c.contract_id) OR c.axes <> (SELECT count(*) FROM axes x WHERE x.contract_id = c.contract_id)
        OR c.publications <> (SELECT count(*) FROM publications p WHERE p.contract_id = c.contract_id)
        OR c.document_id NOT IN (SELECT document_id FROM publications WHERE chosen)) AS broken,
    (SELECT count(*) FROM v_actions) AS actions"""
PLAIN_READER = ("import duckdb, json, sys\n"
                "con = duckdb.connect(sys.argv[1], read_only=True)\n"
                "print(json.dumps(con.execute(sys.argv[2]).fetchone()))\n")


def _plain_read(db: Path) -> tuple[str, int, str]:
    proc = subprocess.run([sys.executable, "-c", PLAIN_READER, str(db), WHOLE], capture_output=True, text=True,
                          timeout=120)
    return "duckdb", proc.returncode, proc.stdout if proc.returncode == 0 else proc.stderr


def _clsdata_read(db: Path) -> tuple[str, int, str]:
    proc = subprocess.run([sys.executable, "-m", "clsdata.cli", "query", WHOLE, "--db", str(db), "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    return "clsdata query", proc.returncode, proc.stdout if proc.returncode == 0 else proc.stderr


def _state(kind: str, out: str) -> tuple[int, int, int, int]:
    if kind == "duckdb":
        generation, contracts, broken, actions = json.loads(out)
    else:
        row = json.loads(out)[0]
        generation, contracts, broken, actions = (row[k] for k in ("generation", "contracts", "broken", "actions"))
    return int(generation), contracts, broken, actions


@pytest.mark.flow
def test_fifty_reads_during_a_forced_run_all_succeed_and_see_whole_contracts(fixtures_warehouse: Path,
                                                                            tmp_path: Path) -> None:
    from flows.ingest import ingest

    db = tmp_path / "cls.duckdb"
    shutil.copyfile(fixtures_warehouse, db)
    before = _state(*_plain_read(db)[::2])
    results: list[tuple[float, float, str, int, str]] = []
    stop = threading.Event()

    def reader(i: int) -> None:
        while not stop.is_set() or len(results) < 50:
            start = time.monotonic()
            kind, code, out = (_plain_read if (i + len(results)) % 2 else _clsdata_read)(db)
            results.append((start, time.monotonic(), kind, code, out))

    with ThreadPoolExecutor(3) as pool:
        workers = [pool.submit(reader, i) for i in range(3)]
        time.sleep(1.0)
        run_start = time.monotonic()
        with chdir(ROOT):
            summary = ingest(["fixtures"], str(db), force=True)
        run_end = time.monotonic()
        stop.set()
        for w in workers:
            w.result()
    assert summary.failed == [] and len(summary.loaded) == len(list(FIXTURES.glob("*/source.*")))
    print(f"{len(results)} reads, {sum(1 for r in results if r[0] < run_end and r[1] > run_start)} during the "
          f"{run_end - run_start:.1f} s run")
    failures = [(kind, out) for _, _, kind, code, out in results if code != 0]
    assert failures == [], f"{len(failures)} of {len(results)} reads failed: {failures[:3]}"
    during = [r for r in results if r[0] < run_end and r[1] > run_start]
    assert len(results) >= 50 and len(during) >= 25, (len(results), len(during), run_end - run_start)
    states = {_state(kind, out) for _, _, kind, _, out in results}
    assert all(broken == 0 for _, _, broken, _ in states), states
    after = _state(*_plain_read(db)[::2])
    assert after[0] == before[0] + 1 and after[1:] == before[1:]  # a new generation, the same contracts
    assert {s[0] for s in states} <= {before[0], after[0]}
    assert {kind for _, _, kind, _, _ in during} == {"duckdb", "clsdata query"}


@pytest.mark.flow
def test_a_reader_holding_the_warehouse_open_does_not_block_a_run_and_keeps_its_state(prefect_harness: None,
                                                                                      tmp_path: Path) -> None:
    from flows.ingest import ingest

    db = tmp_path / "cls.duckdb"
    ingest([str(FIXTURES / "pantin" / "source.pdf")], str(db))
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               "con = duckdb.connect(sys.argv[1], read_only=True)\n"
                               "print(con.execute('SELECT count(*) FROM contracts').fetchone()[0], flush=True)\n"
                               "sys.stdin.readline()\n"
                               "print(con.execute('SELECT count(*) FROM contracts').fetchone()[0], flush=True)\n",
                               str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "1"
        summary = ingest([str(FIXTURES / "est-cantal" / "source.pdf")], str(db))  # was: "Could not set lock"
        assert len(summary.loaded) == 1 and summary.failed == []
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "1"  # the reader's generation, whole
    finally:
        holder.wait(timeout=60)
    assert store.query(db, "SELECT count(*) FROM contracts")[1] == [(2,)]
    assert not list(tmp_path.glob(".*.next")), "no generation left behind"


def test_a_generation_is_published_whole_or_not_at_all(tmp_path: Path) -> None:
    db = tmp_path / "cls.duckdb"
    with generations.writer(db) as con:
        con.execute("INSERT INTO quarantine VALUES ('a.pdf', NULL, 'r', 'd', 'v', now())")
    with pytest.raises(RuntimeError), generations.writer(db) as con:
        con.execute("INSERT INTO quarantine VALUES ('b.pdf', NULL, 'r', 'd', 'v', now())")
        raise RuntimeError("the writer failed")
    assert store.query(db, "SELECT path FROM quarantine")[1] == [("a.pdf",)]
    assert store.query(db, "SELECT value FROM meta WHERE key = 'generation'")[1] == [("1",)]
    # a writer killed before publishing leaves its generation; the next writer removes it
    dead = subprocess.run([sys.executable, "-c", "import os, sys\nfrom warehouse import generations\n"
                           "print(generations.begin(sys.argv[1]))\nos._exit(0)", str(db)],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    left = Path(dead.stdout.strip())
    assert left.exists()
    generations.discard(generations.begin(db))
    assert not left.exists()


def test_a_warehouse_of_another_schema_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute("INSERT INTO meta VALUES ('warehouse_version', '5')")
    con.execute("CREATE TABLE documents (document_id VARCHAR)")
    con.close()
    before = db.read_bytes()
    for attempt in (lambda: generations.check(db), lambda: generations.begin(db)):
        with pytest.raises(store.WarehouseError, match="schema 5, this clsdata writes schema .*--rebuild"):
            attempt()
    assert db.read_bytes() == before and not list(tmp_path.glob(".*.next"))
    generations.publish(generations.begin(db, rebuild=True), db)  # --rebuild: a new warehouse, published whole
    assert store.query(db, "SELECT value FROM meta WHERE key = 'warehouse_version'")[1] == [
        (str(store.WAREHOUSE_VERSION),)]
