"""Extraction speed per fixture: seconds per 10 pages on one core (issue #3 target: under 2 s per 10 pages).

Usage: python scripts/bench_extract.py [--limit 2.0] [FIXTURES_DIR]
Times `file_to_extraction` (parser process with PDFium, blocks, segmentation, spaCy) on every fixture
source, after one warm-up extraction (spaCy's model and tagger loads are paid once per process, as in a flow run).
Exits 1 when a PDF exceeds the limit. Speed is checked here, not in unit tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pipeline.extract import file_to_extraction


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixtures", nargs="?", type=Path, default=Path("fixtures"))
    parser.add_argument("--limit", type=float, default=2.0, help="max seconds per 10 pages (default 2.0)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    sources = sorted(p for p in args.fixtures.glob("*/source.*") if p.suffix in {".pdf", ".html"})
    file_to_extraction(sources[0])  # warm-up: spaCy model load
    from pipeline.nlp import load_tagger

    load_tagger()  # and its tagger, loaded on first use by a document with an enumeration to split
    slow = []
    print(f"{'source':58} {'pages':>5} {'seconds':>8} {'s/10 pages':>10}")
    for src in sources:
        start = time.perf_counter()
        got = file_to_extraction(src)
        took = time.perf_counter() - start
        per10 = took / max(got.document.pages, 1) * 10
        print(f"{str(src.relative_to(args.fixtures)):58} {got.document.pages:5d} {took:8.2f} {per10:10.2f}")
        if src.suffix == ".pdf" and per10 > args.limit:
            slow.append(src)
    if slow:
        print(f"over {args.limit} s per 10 pages: {', '.join(map(str, slow))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
