"""A no-change re-run: the service's run under 5 s for N documents (issue #5), and `clsdata run` answering in
≤ 2 s from the command line, without starting Prefect (issue #18). Speed is checked here, not in unit tests.

Usage: python scripts/bench_rerun.py [--docs 100] [--limit 5.0] [--cli-limit 2.0]
Makes N distinct documents (fixture PDFs and pages with a distinct trailing comment, so N different sha256),
runs the ingest service once (extracting them), then again: the second run must extract nothing and finish,
from its first line to its last (the `runs` table), under the limit. Then `clsdata run` on the same sources,
as a user types it, with PREFECT_API_URL pointing at a closed port (a run that needed Prefect would fail):
wall time of the whole command, interpreter start included.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clsdata.service import RunSummary, run_ingest
from clsdata.settings import load
from warehouse import store

ROOT = Path(__file__).resolve().parent.parent


def rerun(docs: int, tmp: Path) -> tuple[RunSummary, RunSummary, float]:
    """Load `docs` distinct documents (copies of the fixtures with a distinct trailing comment), then run again;
    the second run's time from the `runs` table."""
    sources = sorted((ROOT / "fixtures").glob("*/source.*"))
    inbox = tmp / "inbox"
    inbox.mkdir()
    for i in range(docs):
        src = sources[i % len(sources)]
        comment = b"\n% copy " if src.suffix == ".pdf" else b"\n<!-- copy "
        (inbox / f"{i:04d}{src.suffix}").write_bytes(src.read_bytes() + comment + str(i).encode() + b"\n")
    db = tmp / "cls.duckdb"
    first = run_ingest(load(db=db, sources=(inbox,), raw_dir=tmp / "raw"))
    second = run_ingest(load(db=db, sources=(inbox,), raw_dir=tmp / "raw"))
    _, rows = store.query(db, "SELECT run_id, epoch(finished_at) - epoch(started_at) FROM runs")
    return first, second, float(dict(rows)[second.run_id])


def cli_seconds(tmp: Path) -> tuple[float, str]:
    """Wall time of `clsdata run` over the same, unchanged sources (best of 3)."""
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    best, out = float("inf"), ""
    for _ in range(3):
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "clsdata.cli", "run", "--source", str(tmp / "inbox"), "--db",
                               str(tmp / "cls.duckdb"), "--raw", str(tmp / "raw")], env=env, cwd=ROOT,
                              capture_output=True, text=True, check=True)
        best, out = min(best, time.perf_counter() - started), proc.stdout.strip()
    return best, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--limit", type=float, default=5.0)
    parser.add_argument("--cli-limit", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        first, second, took = rerun(args.docs, Path(tmp))
        wall, said = cli_seconds(Path(tmp))
    print(f"first run: {first.line()}")
    print(f"no-change re-run of {args.docs} documents: {second.line()} in {took:.2f} s (limit {args.limit:g} s)")
    print(f"`clsdata run`, nothing changed, {args.docs} documents: {wall:.2f} s wall (limit {args.cli_limit:g} s): "
          f"{said}")
    ok = took <= args.limit and wall <= args.cli_limit
    return 0 if ok and not second.loaded and len(second.unchanged) == args.docs else 1


if __name__ == "__main__":
    sys.exit(main())
