"""Scores of every fixture's scanned twin against its text layer (issue #16), with OCR time per page.

Usage: python scripts/twin_scores.py [--dpi 200 300] [--out DIR] [SLUG ...]

Prints one row per (fixture, dpi): axes / actions / years F1 (soft matching) of the text layer and of the twin,
the twin's pages and seconds (set CLSDATA_OCR_CACHE to an empty folder to time a fresh machine). The same twins
and the same comparison as tests/test_scanned_twins.py, which fails a twin more than 0.05 below its text layer.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipeline.errors import DocumentError
from pipeline.evaluate import score_document
from pipeline.extract import file_to_extraction
from pipeline.scanner import ScanLook, pdf_to_scanned_pdf, twin_seed, twin_sources
from schemas.gold import Gold

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("axes", "actions", "years")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*")
    parser.add_argument("--dpi", type=int, nargs="+", default=[200, 300])
    parser.add_argument("--out", type=Path, default=Path("/tmp/clsdata-twins"))
    parser.add_argument("--misses", action="store_true", help="print the twin's misses")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sources = [p for p in twin_sources(ROOT / "fixtures") if not args.slugs or p.parent.name in args.slugs]
    print(f"{'fixture':42} {'dpi':>4} " + " ".join(f"{f + ' text/twin':>17}" for f in FIELDS)
          + f" {'pages':>5} {'s':>6} {'s/page':>6}")
    worst, total_s, total_pages = 0.0, 0.0, 0
    for source in sources:
        gold = Gold.from_file(source.parent / "gold.yaml")
        text = score_document(source.parent.name, gold, file_to_extraction(source))
        for dpi in args.dpi:
            twin = args.out / f"{source.parent.name}-{dpi}.pdf"
            twin.write_bytes(pdf_to_scanned_pdf(source.read_bytes(), ScanLook(dpi=dpi),
                                                twin_seed(source.parent.name, dpi)))
            start = time.perf_counter()
            try:
                got = file_to_extraction(twin)
            except DocumentError as exc:
                print(f"{source.parent.name:42} {dpi:>4} failed: {exc.one_line()}", flush=True)
                worst = 1.0
                continue
            seconds = time.perf_counter() - start
            score = score_document(twin.name, gold, got)
            cells = []
            for f in FIELDS:
                a, b = text.counts[f], score.counts[f]
                if not a.defined and not b.defined:
                    cells.append(f"{'-':>17}")
                    continue
                worst = max(worst, a.f1 - b.f1)
                mark = "!" if a.f1 - b.f1 > 0.05 else " "
                cells.append(f"{a.f1:7.2f} / {b.f1:4.2f}{mark:>2}")
            pages = len(got.pages)
            total_s, total_pages = total_s + seconds, total_pages + pages
            print(f"{source.parent.name:42} {dpi:>4} " + " ".join(cells)
                  + f" {pages:>5} {seconds:6.1f} {seconds / pages:6.2f}", flush=True)
            if args.misses:
                for m in score.misses:
                    if m.split(":")[0] in FIELDS:
                        print(f"    {m}")
    print(f"worst gap {worst:.3f}; {total_pages} pages in {total_s:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
