"""Faults: a loader killed at random points leaves no partial contract; two runs cannot write at once; mutated
PDFs and every file of the shared corpora end extracted or quarantined with a reason, never a crash or a hang."""

from __future__ import annotations

import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import errors
from pipeline.extract import file_to_extraction
from tests.conftest import DATA, FIXTURES, ROOT, extraction_of
from warehouse import store
from warehouse.lock import WarehouseBusy, run_lock

LOADER = """
import pickle, sys
from warehouse import store
extractions = pickle.load(open(sys.argv[2], "rb"))
print("ready", flush=True)
while True:  # reload the same documents again and again until killed
    with store.connect(sys.argv[1]) as con:
        for x in extractions:
            store.load_extraction(con, x)
"""


def _consistent(db: Path, expected: dict[str, tuple[int, int, int]]) -> None:
    """Every loaded document is whole: its publication, its contract, all the axes, objectives and actions of the
    contract's reading, nothing orphaned."""
    _, docs = store.query(db, "SELECT d.document_id, p.contract_id FROM documents d "
                              "LEFT JOIN publications p USING (document_id)")
    for doc, contract in docs:
        assert contract is not None, f"document {doc} without its publication"
        _, rows = store.query(db, f"""SELECT (SELECT document_id FROM contracts WHERE contract_id = '{contract}'),
            (SELECT count(*) FROM axes WHERE contract_id = '{contract}'),
            (SELECT count(*) FROM objectives WHERE contract_id = '{contract}'),
            (SELECT count(*) FROM actions WHERE contract_id = '{contract}')""")
        reading = rows[0][0]
        assert reading is not None and rows[0][1:] == expected[reading], f"partial contract {contract}: {rows[0]}"
    for table, key, parent in (("actions", "contract_id", "SELECT contract_id FROM contracts"),
                               ("axes", "contract_id", "SELECT contract_id FROM contracts"),
                               ("contracts", "document_id", "SELECT document_id FROM documents"),
                               ("publications", "document_id", "SELECT document_id FROM documents")):
        _, orphans = store.query(db, f"SELECT count(*) FROM {table} WHERE {key} NOT IN ({parent})")
        assert orphans == [(0,)], f"orphan rows in {table}"
    _, orphans = store.query(db, "SELECT count(*) FROM action_themes WHERE action_id NOT IN "
                                 "(SELECT action_id FROM actions)")
    assert orphans == [(0,)]


def test_a_loader_killed_at_random_points_leaves_no_partial_contract(tmp_path: Path) -> None:
    sources = [FIXTURES / s / "source.pdf" for s in ("angers-loire-metropole", "est-cantal", "saint-leu")]
    extractions = [extraction_of(p) for p in sources]
    expected = {x.document.sha256: (len(x.axes), len(x.objectives), len(x.actions)) for x in extractions}
    payload = tmp_path / "extractions.pickle"
    payload.write_bytes(pickle.dumps(extractions))
    db = tmp_path / "cls.duckdb"
    rng = random.Random(20261123)
    for _trial in range(20):
        proc = subprocess.Popen([sys.executable, "-c", LOADER, str(db), str(payload)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 1.5))  # somewhere inside a load, or between two
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _consistent(db, expected)
    _, loaded = store.query(db, "SELECT count(*) FROM documents")
    assert loaded[0][0] >= 1  # the trials did load, sometimes


def test_a_second_writer_waits_or_stops_with_the_holder_named(tmp_path: Path) -> None:
    db = tmp_path / "cls.duckdb"
    with run_lock(db):
        busy = r"cls.duckdb: another clsdata process is writing this warehouse \(clsdata, pid"
        with pytest.raises(WarehouseBusy, match=busy), run_lock(db, wait_s=0.5):
            pass
        proc = subprocess.run([sys.executable, "-m", "clsdata.cli", "run", "--source",
                               str(FIXTURES / "laval-agglomeration"), "--db", str(db)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and "another clsdata process is writing this warehouse" in proc.stderr
    with run_lock(db, wait_s=0):  # released
        pass


def _mutants(seed: int) -> list[tuple[str, bytes]]:
    """Truncations, byte flips and duplicated objects of fixture PDFs (deterministic)."""
    rng = random.Random(seed)
    out = []
    for slug in ("ernee-bocage-mayennais", "bethune-bruay-artois-lys-romane", "le-mans-metropole"):
        data = (FIXTURES / slug / "source.pdf").read_bytes()
        for frac in (0.1, 0.5, 0.9, 0.99):
            out.append((f"{slug}-truncated-{frac}", data[: int(len(data) * frac)]))
        for n in (1, 20, 200):
            flipped = bytearray(data)
            for _ in range(n):
                i = rng.randrange(len(flipped))
                flipped[i] ^= 1 << rng.randrange(8)
            out.append((f"{slug}-flip-{n}", bytes(flipped)))
        start = data.find(b" obj")
        end = data.find(b"endobj", start)
        if start > 0 and end > start:
            chunk = data[data.rfind(b"\n", 0, start) + 1: end + 6]
            out.append((f"{slug}-dup-object", data.replace(chunk, chunk + b"\n" + chunk, 1)))
        out.append((f"{slug}-no-xref", data.replace(b"xref", b"xxxx")))
    return out


def test_mutated_pdfs_are_extracted_or_quarantined_never_crash(tmp_path: Path) -> None:
    outcomes: dict[str, str] = {}
    mutants = _mutants(7)
    for name, data in mutants:
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        try:
            file_to_extraction(path, timeout_s=30)
            outcomes[name] = "loaded"
        except errors.DocumentError as exc:
            assert exc.path == str(path) and exc.reason, exc
            outcomes[name] = exc.reason
    assert len(outcomes) == len(mutants) >= 24
    assert set(outcomes.values()) - {"loaded"}, "some mutants must be unreadable"


SHARED = ROOT.parent / "shared" / "corpora"
CORPORA = [p for d in ("realworld-pdfs", "malformed-pdfs") for p in sorted((SHARED / d).glob("*.pdf"))]
CORPORA = CORPORA or sorted((DATA / "malformed").glob("*.pdf"))  # without ../shared: the repo's copies


@pytest.mark.flow
def test_every_corpus_file_goes_through_a_run_loaded_or_quarantined_with_a_reason(
        prefect_harness: None, tmp_path: Path) -> None:
    from flows.ingest import ingest, task_runner

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for p in CORPORA:
        (inbox / p.name).symlink_to(p)
    db = tmp_path / "cls.duckdb"
    summary = ingest.with_options(task_runner=task_runner(2))([str(inbox)], str(db), raw_dir=str(tmp_path / "raw"))
    assert summary.failed == []
    assert len(summary.loaded) + len(summary.quarantined) == len(CORPORA)
    assert all(reason and ": " in reason for _, reason in summary.quarantined)
    # Pages without a usable text layer went through OCR, and the run says which and why (issue #8).
    reasons = dict(summary.quarantined)
    tam = next((k for k in reasons if k.endswith("pdf.js--TAMReview.pdf")), None)
    if tam is not None:
        assert "pages read by OCR: 2-22 (" in reasons[tam] and "no Unicode mapping" in reasons[tam]
    again = ingest([str(inbox)], str(db), raw_dir=str(tmp_path / "raw"))
    assert len(again.unchanged) == len(CORPORA) and not again.loaded and not again.quarantined
