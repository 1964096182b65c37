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

from flows.ingest import ingest, task_runner
from warehouse import store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--limit", type=float, default=5.0)
    args = parser.parse_args()
    sources = sorted(Path("fixtures").glob("*/source.*"))
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        for i in range(args.docs):
            src = sources[i % len(sources)]
            comment = b"\n% copy " if src.suffix == ".pdf" else b"\n<!-- copy "
            (inbox / f"{i:04d}{src.suffix}").write_bytes(src.read_bytes() + comment + str(i).encode() + b"\n")
        db = Path(tmp) / "cls.duckdb"
        first = ingest.with_options(task_runner=task_runner(2))([str(inbox)], str(db), raw_dir=str(Path(tmp) / "raw"))
        second = ingest([str(inbox)], str(db), raw_dir=str(Path(tmp) / "raw"))
        _, rows = store.query(db, "SELECT run_id, epoch(finished_at) - epoch(started_at) FROM runs")
        took = dict(rows)[second.run_id]
    print(f"first run: {first.line()}")
    print(f"no-change re-run of {args.docs} documents: {second.line()} in {took:.2f} s (limit {args.limit:g} s)")
    return 0 if took <= args.limit and not second.loaded and len(second.unchanged) == args.docs else 1


if __name__ == "__main__":
    sys.exit(main())
