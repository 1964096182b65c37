"""A no-change re-run of N documents must take under 5 s (issue #5). Speed is checked here, not in unit tests.

Usage: python scripts/bench_rerun.py [--docs 100] [--limit 5.0]
Makes N distinct documents (fixture PDFs and pages with a distinct trailing comment, so N different sha256),
runs the ingest flow once (extracting them), then again: the second run must extract nothing and finish,
from the flow's first line to its last (the `runs` table), under the limit. Prefect's temporary server start
is not counted (a deployed flow talks to a running server).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from flows.ingest import RunSummary, ingest, task_runner
from warehouse import store

ROOT = Path(__file__).resolve().parent.parent


def rerun(docs: int, tmp: Path) -> tuple[RunSummary, RunSummary, float]:
    """Load `docs` distinct documents (copies of the fixtures with a distinct trailing comment), then run again;
    the second run's flow time from the `runs` table."""
    sources = sorted((ROOT / "fixtures").glob("*/source.*"))
    inbox = tmp / "inbox"
    inbox.mkdir()
    for i in range(docs):
        src = sources[i % len(sources)]
        comment = b"\n% copy " if src.suffix == ".pdf" else b"\n<!-- copy "
        (inbox / f"{i:04d}{src.suffix}").write_bytes(src.read_bytes() + comment + str(i).encode() + b"\n")
    db = tmp / "cls.duckdb"
    first = ingest.with_options(task_runner=task_runner(2))([str(inbox)], str(db), raw_dir=str(tmp / "raw"))
    second = ingest([str(inbox)], str(db), raw_dir=str(tmp / "raw"))
    _, rows = store.query(db, "SELECT run_id, epoch(finished_at) - epoch(started_at) FROM runs")
    return first, second, float(dict(rows)[second.run_id])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--limit", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        first, second, took = rerun(args.docs, Path(tmp))
    print(f"first run: {first.line()}")
    print(f"no-change re-run of {args.docs} documents: {second.line()} in {took:.2f} s (limit {args.limit:g} s)")
    return 0 if took <= args.limit and not second.loaded and len(second.unchanged) == args.docs else 1


if __name__ == "__main__":
    sys.exit(main())
