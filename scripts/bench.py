"""The benchmark suite (issue #7; `make bench`; not part of the tests). Writes bench/results.json and
bench/results.md (with the machine), which the README shows.

Usage: python scripts/bench.py [--quick] [--docs 200] [--pages 40] [--big 400] [--rerun 1000] [--contracts 10000]

Measures, on a synthetic corpus (`clsdata synth`, deterministic) and the real-world PDFs of
../shared/corpora/realworld-pdfs (when present):
- pages/s per stage in one process (characters, words/grids, blocks, segmentation, NLP + enrichment,
  validation, load) and end to end (through the isolated parser process, as a run does);
- bare pdfplumber (`page.chars`) and bare PDFium (page text) on the same files, and the ratios;
- 1 vs 2 worker processes; peak RSS of the parser process on one big document, and of a whole worker (its
  process and its parser process together, sampled every 20 ms, in a fresh interpreter);
- a no-change re-run of N documents (flow time); `clsdata eval` over the fixtures; the analyst views.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline.document import pages_to_document  # noqa: E402
from pipeline.enrich import tree_to_enrichment  # noqa: E402
from pipeline.extract import file_to_extraction, sha256_bytes, tree_to_extraction  # noqa: E402
from pipeline.isolate import ParserWorker  # noqa: E402
from pipeline.layout import bare_pdfplumber_chars, iter_raw_pages, raw_page_to_page  # noqa: E402
from pipeline.nlp import load_nlp  # noqa: E402
from pipeline.pdfium import bare_pdfium_text  # noqa: E402
from pipeline.segment import NotACLS, document_to_tree  # noqa: E402
from pipeline.synth import synth_corpus  # noqa: E402
from schemas.extraction import DocumentInfo  # noqa: E402
from warehouse import store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REALWORLD = ROOT.parent / "shared" / "corpora" / "realworld-pdfs"
STAGES = ("characters", "words_grids", "blocks", "segmentation", "nlp_enrichment", "validation", "load")


def stages(files: list[Path], db: Path, clock: Any = time.perf_counter) -> dict[str, float]:
    """Seconds per stage over the files, in this process (one core): wall time, or with
    `clock=time.process_time` this process's CPU time (steady on a machine shared with noisy neighbours)."""
    spent = dict.fromkeys(STAGES, 0.0)
    with store.connect(db) as con:
        for path in files:
            t = clock()
            raws = list(iter_raw_pages(path))
            spent["characters"] += clock() - t
            t = clock()
            pages = [raw_page_to_page(r) for r in raws]
            spent["words_grids"] += clock() - t
            t = clock()
            doc = pages_to_document(pages)
            spent["blocks"] += clock() - t
            t = clock()
            try:
                tree = document_to_tree(doc)
            except NotACLS:
                continue
            spent["segmentation"] += clock() - t
            t = clock()
            enrichment = tree_to_enrichment(tree, doc)
            spent["nlp_enrichment"] += clock() - t
            t = clock()
            data = path.read_bytes()
            info = DocumentInfo(sha256=sha256_bytes(data), path=str(path), media_type="application/pdf",
                                pages=len(pages))
            x = tree_to_extraction(tree, doc, info, enrichment)
            spent["validation"] += clock() - t
            t = clock()
            store.load_extraction(con, x)
            spent["load"] += clock() - t
    return spent


def _extract_all(files: list[str]) -> int:
    load_nlp()
    for f in files:
        with contextlib.suppress(Exception):  # a bad file is quarantined in a run; its time counts the same
            file_to_extraction(Path(f))
    return len(files)


def workers_speed(files: list[Path], pages: int, n: int) -> float:
    """Pages/s end to end with n worker processes (each with its own parser process and spaCy)."""
    chunks = [[str(f) for f in files[i::n]] for i in range(n)]
    with ProcessPoolExecutor(n) as pool:
        list(pool.map(_extract_all, [[str(files[0])]] * n))  # warm up: imports, model load
        t = time.perf_counter()
        list(pool.map(_extract_all, chunks))
        return pages / (time.perf_counter() - t)


def peak_rss_mb(path: Path) -> float:
    worker = ParserWorker()
    worker.parse(path, timeout_s=600)
    pid = worker.pid
    status = Path(f"/proc/{pid}/status").read_text() if pid else ""
    worker.close()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)


def worker_peak_rss_mb(path: Path) -> float:
    """In this process: spaCy loaded, `path` extracted as a worker does (with its parser process); the peak of
    this process's RSS plus its children's, sampled every 20 ms (`--worker-rss`, run in a fresh interpreter)."""
    import threading

    load_nlp()
    me, peak, done = os.getpid(), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            children = []
            for task in Path(f"/proc/{me}/task").iterdir():
                with contextlib.suppress(OSError):
                    children += (task / "children").read_text().split()
            peak[0] = max(peak[0], _rss_mb(me) + sum(_rss_mb(int(c)) for c in children))
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    file_to_extraction(path)
    done.set()
    thread.join()
    return peak[0]


def rerun_seconds(n: int, tmp: Path) -> float:
    from bench_rerun import rerun

    (tmp / "rerun").mkdir()
    return rerun(n, tmp / "rerun")[2]


def eval_seconds() -> float:
    import subprocess

    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "clsdata.cli", "eval"], cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes, not an hour)")
    parser.add_argument("--docs", type=int)
    parser.add_argument("--pages", type=int)
    parser.add_argument("--big", type=int)
    parser.add_argument("--rerun", type=int)
    parser.add_argument("--contracts", type=int)
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument("--worker-rss", type=Path, help=argparse.SUPPRESS)  # one measure, in a fresh interpreter
    args = parser.parse_args()
    if args.worker_rss:
        print(round(worker_peak_rss_mb(args.worker_rss), 1))
        return 0
    sizes = {"docs": 12, "pages": 20, "big": 100, "rerun": 100, "contracts": 2000} if args.quick else \
        {"docs": 200, "pages": 40, "big": 400, "rerun": 1000, "contracts": 10_000}
    sizes.update({k: v for k, v in vars(args).items() if k in sizes and v is not None})
    results: dict[str, object] = {"sizes": sizes, "started": datetime.now(UTC).isoformat(timespec="seconds"),
                                  "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                              "platform": platform.platform(), "processor": platform.machine()}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = synth_corpus(ROOT / "fixtures", tmp / "corpus", sizes["docs"], sizes["pages"], seed=1)
        pages = sizes["docs"] * sizes["pages"]
        load_nlp()
        spent = stages(corpus, tmp / "stages.duckdb")
        total = sum(spent.values())
        results["pages_per_s_per_stage"] = {k: round(pages / v, 1) if v else None for k, v in spent.items()}
        results["pages_per_s_in_process"] = round(pages / total, 1)
        cpu = min((stages(corpus, tmp / f"cpu{k}.duckdb", time.process_time) for k in range(2)),
                  key=lambda d: sum(d.values()))
        results["pages_per_s_per_stage_cpu"] = {k: round(pages / v, 1) if v else None for k, v in cpu.items()}
        results["pages_per_s_in_process_cpu"] = round(pages / sum(cpu.values()), 1)
        t = time.perf_counter()
        _extract_all([str(f) for f in corpus])
        results["pages_per_s_end_to_end"] = round(pages / (time.perf_counter() - t), 1)
        sample = corpus[: max(1, len(corpus) // 4)]
        t = time.perf_counter()
        n = sum(bare_pdfplumber_chars(f) for f in sample)
        plumber = n / (time.perf_counter() - t)
        t = time.perf_counter()
        n = sum(bare_pdfium_text(f) for f in corpus)
        pdfium_speed = n / (time.perf_counter() - t)
        results["bare_pdfplumber_pages_per_s"] = round(plumber, 1)
        results["bare_pypdfium2_pages_per_s"] = round(pdfium_speed, 1)
        results["ratio_vs_bare_pdfplumber"] = round(results["pages_per_s_end_to_end"] / plumber, 2)  # type: ignore[operator]
        results["ratio_vs_bare_pypdfium2"] = round(results["pages_per_s_end_to_end"] / pdfium_speed, 3)  # type: ignore[operator]
        one = workers_speed(corpus, pages, 1)
        two = workers_speed(corpus, pages, 2)
        results["pages_per_s_1_worker"] = round(one, 1)
        results["pages_per_s_2_workers"] = round(two, 1)
        results["speedup_2_workers"] = round(two / one, 2)
        big = synth_corpus(ROOT / "fixtures", tmp / "big", 1, sizes["big"], seed=2)[0]
        results["peak_rss_mb_parser_big_document"] = round(peak_rss_mb(big), 1)
        import subprocess

        probe = subprocess.run([sys.executable, __file__, "--worker-rss", str(big)], capture_output=True, text=True,
                               check=True)
        results["peak_rss_mb_worker_big_document"] = float(probe.stdout.split()[-1])
        if REALWORLD.is_dir():
            files = sorted(REALWORLD.glob("*.pdf"))
            t = time.perf_counter()
            _extract_all([str(f) for f in files])
            results["realworld_documents"] = len(files)
            results["realworld_seconds"] = round(time.perf_counter() - t, 1)
        results["no_change_rerun_seconds"] = round(rerun_seconds(sizes["rerun"], tmp), 2)
        results["eval_seconds"] = round(eval_seconds(), 1)
        scans = sorted(p for p in (ROOT / "fixtures").glob("*/source.pdf") if (p.parent / "gold.yaml").is_symlink())
        if scans:  # OCR (issue #8), Tesseract's cache empty: pages read by OCR per second, one core
            os.environ["CLSDATA_OCR_CACHE"] = str(tmp / "ocr-cache")
            t = time.perf_counter()
            read = sum(sum(1 for p in file_to_extraction(f).pages if p.method == "ocr") for f in scans)
            results["ocr_pages_per_s"] = round(read / (time.perf_counter() - t), 2)
            del os.environ["CLSDATA_OCR_CACHE"]
        from bench_views import QUERIES

        from warehouse import synth

        synth.build(tmp / "views.duckdb", sizes["contracts"])
        views = {}
        for name, sql in QUERIES.items():
            times = []
            for _ in range(5):
                t = time.perf_counter()
                store.query(tmp / "views.duckdb", sql)
                times.append((time.perf_counter() - t) * 1000)
            views[name] = round(statistics.median(times), 1)
        results["views_median_ms"] = views
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "results.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    return 0


def markdown(r: dict[str, object]) -> str:
    m = r["machine"]
    s = r["sizes"]
    lines = [f"Benchmark of {r['started']} on {m['cpus']} CPUs, {m['platform']}, Python {m['python']} "  # type: ignore[index]
             f"(corpus {s['docs']} documents x {s['pages']} pages; big document {s['big']} pages).", "",  # type: ignore[index]
             "| measure | value | target |", "|---|---|---|"]
    targets = {"pages_per_s_end_to_end": "≥ 30", "ratio_vs_bare_pdfplumber": "≥ 4", "speedup_2_workers": "≥ 1.7",
               "peak_rss_mb_parser_big_document": "≤ 500", "peak_rss_mb_worker_big_document": "≤ 500",
               "no_change_rerun_seconds": "≤ 3 (1,000 docs)",
               "eval_seconds": "≤ 15"}
    for key, value in r.items():
        if key in ("machine", "sizes", "started"):
            continue
        if isinstance(value, dict):
            for k, v in value.items():
                lines.append(f"| {key}: {k} | {v} | {'≤ 200 ms' if key == 'views_median_ms' else ''} |")
        else:
            lines.append(f"| {key} | {value} | {targets.get(key, '')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
