"""Issue #18's hostile-input list, each item tried as an attacker or an unlucky operator would: a query that writes
or reads outside the warehouse, downloads that loop, lie or trickle, a page image too big for OCR, FIFOs and
devices, a damaged warehouse file, a deleted source. Real parts only: the CLI in a subprocess, a real HTTP server
on loopback, real PDFs through the real parser and Tesseract, real DuckDB files. (The review page's items are in
tests/test_review_safety.py, Ctrl+C and SIGKILL in tests/test_service.py.)"""

from __future__ import annotations

import gzip
import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clsdata.service import run_ingest
from clsdata.settings import load
from pipeline import errors
from tests.conftest import FIXTURES, ROOT, extraction_of
from warehouse import store

HTML = FIXTURES / "le-mans-metropole" / "source.html"
PDF = FIXTURES / "ernee-bocage-mayennais" / "source.pdf"


def clsdata(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clsdata.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ, **(env or {})})


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "cls.duckdb"
    with store.connect(db) as con:
        store.load_extraction(con, extraction_of(HTML))
    return db


# --- 1. `clsdata query` is read-only, to the warehouse only, bounded in time and memory -------------------------

@pytest.mark.parametrize(("sql", "refusal"), [
    ("ATTACH 'scratch.db' AS n (READ_WRITE); USE n; DETACH q; DELETE FROM q.actions", "one statement at a time"),
    ("ATTACH '{db}' AS w (READ_WRITE)", "got a ATTACH statement"),
    ("DELETE FROM actions", "got a DELETE statement"),
    ("COPY (SELECT * FROM contacts) TO '{out}'", "got a COPY statement"),
    ("EXPORT DATABASE '{out}'", "statement"),
    ("SET enable_external_access = true", "got a SET statement"),
    ("INSTALL httpfs", "statement"),
    ("SELECT * FROM read_text('/etc/hostname')", "file system operations are disabled"),
    ("SELECT * FROM read_blob('/etc/shadow')", "file system operations are disabled"),
    ("SELECT * FROM glob('/root/**')", "file system operations are disabled"),
    ("SELECT * FROM read_csv('{db}.lock')", "file system operations are disabled"),
    ("SELECT 1; SELECT 2", "one statement at a time (got 2)"),
])
def test_query_reads_the_warehouse_and_nothing_else(warehouse: Path, tmp_path: Path, sql: str, refusal: str) -> None:
    out = tmp_path / "out.csv"
    before = store.query(warehouse, "SELECT count(*) FROM actions")
    proc = clsdata("query", sql.format(db=warehouse, out=out), "--db", str(warehouse))
    assert proc.returncode == 2 and refusal in one_line(proc)
    assert not out.exists() and not (tmp_path / "scratch.db").exists()
    assert store.query(warehouse, "SELECT count(*) FROM actions") == before == (["count_star()"], [(11,)])


def test_a_runaway_query_stops_at_its_time_and_memory_limits_and_on_ctrl_c(warehouse: Path) -> None:
    cross = "SELECT count(*) FROM range(100000000) a, range(100000000) b"
    started = time.monotonic()
    proc = clsdata("query", cross, "--db", str(warehouse), env={"CLSDATA_QUERY_TIMEOUT": "2"})
    assert proc.returncode == 2 and "stopped after 2 s (CLSDATA_QUERY_TIMEOUT)" in one_line(proc)
    assert time.monotonic() - started < 30
    proc = clsdata("query", "SELECT list(i) FROM range(200000000) t(i)", "--db", str(warehouse),
                   env={"CLSDATA_QUERY_MEMORY_MB": "100"})
    assert proc.returncode == 2 and "needs more than 100 MB (CLSDATA_QUERY_MEMORY_MB)" in one_line(proc)

    running = subprocess.Popen([sys.executable, "-m", "clsdata.cli", "query", cross, "--db", str(warehouse)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    assert running.poll() is None
    sent = time.monotonic()
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=30)
    assert running.returncode == 130 and err.strip() == "clsdata: query interrupted (Ctrl+C)"
    assert time.monotonic() - sent < 10


# --- 2. one bad URL is that URL's quarantine; every download has a total deadline -------------------------------

class Hostile(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/loop.pdf":  # a redirect loop
            self.send_response(302)
            self.send_header("Location", "/loop.pdf")
            self.end_headers()
        elif self.path == "/gzip.pdf":  # says gzip, is not
            body = b"this is not gzip at all" * 10
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/slow.pdf":  # one byte every 0.2 s: each read is quick, the whole never ends
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(100000):
                try:
                    self.wfile.write(b"%")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.2)
        elif self.path == "/good.html":
            body = gzip.compress(HTML.read_bytes())
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture
def hostile_server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_bad_url_is_quarantined_naming_it_and_the_rest_of_the_registry_loads(hostile_server: str,
                                                                                 tmp_path: Path) -> None:
    shutil.copy(PDF, tmp_path / "ernee.pdf")
    registry = tmp_path / "sources.yaml"
    registry.write_text("sources:\n" + "".join(f"  - url: {hostile_server}/{name}\n" for name in
                                               ("loop.pdf", "gzip.pdf", "slow.pdf", "good.html"))
                        + "  - path: ernee.pdf\n", encoding="utf-8")
    started = time.monotonic()
    summary = run_ingest(load(db=tmp_path / "cls.duckdb", registry=registry, raw_dir=tmp_path / "raw",
                              fetch_deadline=3))
    assert time.monotonic() - started < 60
    reasons = dict(summary.quarantined)
    assert set(reasons) == {f"{hostile_server}/{n}" for n in ("loop.pdf", "gzip.pdf", "slow.pdf")}
    assert "too many redirects" in reasons[f"{hostile_server}/loop.pdf"]
    assert "the body does not decode" in reasons[f"{hostile_server}/gzip.pdf"]
    assert "not downloaded within 3 s (CLSDATA_FETCH_DEADLINE)" in reasons[f"{hostile_server}/slow.pdf"]
    assert all(r.startswith(f"{u}: download failed") for u, r in reasons.items())  # the URL, not a raw path
    assert len(summary.loaded) == 2 and summary.failed == []
    _, rows = store.query(tmp_path / "cls.duckdb", "SELECT path FROM quarantine ORDER BY 1")
    assert [r[0] for r in rows] == sorted(reasons)


# --- 5. OCR runs under the document's limits; an oversize page is quarantined with its reason ------------------

def image_page_pdf(width_pt: int, height_pt: int) -> bytes:
    """A PDF of one page `width_pt` x `height_pt` covered by a 2x2-pixel grey image (no text layer: OCR)."""
    content = f"q {width_pt} 0 0 {height_pt} 0 0 cm /Im0 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt} {height_pt}] /Resources << /XObject "
        f"<< /Im0 5 0 R >> >> /Contents 4 0 R >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Length 4 >>\nstream\n\x80\xff\xff\x80\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_an_oversize_page_is_quarantined_with_its_reason_not_a_crash(tmp_path: Path) -> None:
    huge = tmp_path / "poster.pdf"
    huge.write_bytes(image_page_pdf(5000, 5000))
    assert len(huge.read_bytes()) < 1000
    proc = clsdata("extract", str(huge), env={"CLSDATA_OCR_CACHE": str(tmp_path / "ocr")})
    assert proc.returncode == 2
    line = one_line(proc)
    assert str(huge) in line and errors.NO_TEXT in line
    assert "page 1 is 5000 x 5000 pt: 434 Mpx at 300 dpi, more than the 60 Mpx limit" in line
    summary = run_ingest(load(db=tmp_path / "cls.duckdb", sources=(huge,)))
    assert summary.failed == [] and [p for p, _ in summary.quarantined] == [str(huge)]
    again = run_ingest(load(db=tmp_path / "cls.duckdb", sources=(huge,)))
    assert again.unchanged == [str(huge)]  # quarantined once, not failing again on every run


def test_ocr_work_stays_within_the_documents_memory_and_time_limits(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.extract import file_to_extraction

    monkeypatch.setenv("CLSDATA_OCR_CACHE", str(tmp_path / "ocr"))
    big = tmp_path / "big.pdf"
    big.write_bytes(image_page_pdf(3000, 3000))  # 156 Mpx at 300 dpi: gigabytes of image work
    monkeypatch.setenv("CLSDATA_OCR_MAX_PIXELS", "200000000")
    monkeypatch.setenv("CLSDATA_DOC_MEMORY_MB", "900")
    with pytest.raises(errors.DocumentError) as caught:
        file_to_extraction(big)
    assert caught.value.reason == errors.TOO_BIG and "OCR of page 1" in caught.value.detail

    monkeypatch.delenv("CLSDATA_DOC_MEMORY_MB")
    monkeypatch.delenv("CLSDATA_OCR_MAX_PIXELS")
    scan = FIXTURES / "le-mans-metropole-scan" / "source.pdf"
    started = time.monotonic()
    with pytest.raises(errors.DocumentError) as caught:
        file_to_extraction(scan, timeout_s=2)  # parsing, then two pages of OCR: one time limit for all
    assert caught.value.reason == errors.TIMEOUT and "OCR of page" in caught.value.detail
    assert time.monotonic() - started < 10


# --- 6. FIFOs and devices are refused in one line, from every entry point ---------------------------------------

def test_fifos_and_devices_are_refused_in_one_line_and_the_run_goes_on(tmp_path: Path) -> None:
    fifo = tmp_path / "inbox" / "f.pdf"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    shutil.copy(HTML, tmp_path / "inbox" / "le-mans.html")
    for path, what in ((fifo, "a FIFO (named pipe)"), (Path("/dev/zero"), "a character device")):
        proc = clsdata("extract", str(path), timeout=60)
        assert proc.returncode == 2 and one_line(proc) == f"clsdata: {path}: not a regular file ({what})"
    registry = tmp_path / "sources.yaml"
    registry.write_text("inbox: inbox/\nsources:\n  - path: /dev/zero\n", encoding="utf-8")
    db = tmp_path / "cls.duckdb"
    summary = run_ingest(load(db=db, sources=(fifo,), registry=registry))
    quarantined = {p for p, _ in summary.quarantined}
    _, rows = store.query(db, "SELECT path, reason, detail FROM quarantine ORDER BY 1")
    assert ("/dev/zero", errors.NOT_REGULAR, "a character device") in rows
    assert (str(fifo), errors.NOT_REGULAR, "a FIFO (named pipe)") in rows
    assert quarantined <= {str(fifo), "/dev/zero"}
    _, loaded = store.query(db, "SELECT path FROM documents")
    assert loaded == [(str(tmp_path / "inbox" / "le-mans.html"),)]


# --- 7. a damaged warehouse: one line from every command, naming --rebuild -------------------------------------

@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_warehouse_is_one_line_naming_rebuild_from_every_command(warehouse: Path, tmp_path: Path,
                                                                            damage: str) -> None:
    size = warehouse.stat().st_size
    with warehouse.open("r+b") as fh:
        if damage == "truncated":
            fh.truncate(size // 2)
        else:
            fh.seek(size // 2 - 65536)
            fh.write(os.urandom(131072))
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "ernee-bocage-mayennais", fixtures / "ernee-bocage-mayennais",
                    ignore=shutil.ignore_patterns("generator"))
    for args in (["run", "--source", str(HTML)], ["status"], ["query", "SELECT count(*) FROM v_actions"],
                 ["query", "SELECT count(*) FROM runs"], ["export", str(tmp_path / "out")],
                 ["review", "--fixtures", str(fixtures), "apply", "ernee-bocage-mayennais"]):
        proc = clsdata(*args, "--db", str(warehouse), timeout=120)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        line = one_line(proc)
        assert str(warehouse) in line and "damaged" in line and "`clsdata run --rebuild`" in line, (args, line)
    proc = clsdata("run", "--source", str(HTML), "--db", str(warehouse), "--rebuild", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert store.query(warehouse, "SELECT count(*) FROM actions")[1] == [(11,)]


# --- 8. a deleted source is reported by the run and by `clsdata status` ------------------------------------------

def test_a_deleted_source_is_reported_by_the_run_and_status(tmp_path: Path) -> None:
    folder = tmp_path / "publications"
    folder.mkdir()
    shutil.copy(HTML, folder / "le-mans.html")
    shutil.copy(FIXTURES / "saint-leu" / "source.html", folder / "saint-leu.html")
    db = tmp_path / "cls.duckdb"
    first = run_ingest(load(db=db, sources=(folder,)))
    assert len(first.loaded) == 2 and first.missing == []
    (folder / "le-mans.html").unlink()
    second = run_ingest(load(db=db, sources=(folder,)))
    assert second.missing == [str(folder / "le-mans.html")] and second.unchanged == [str(folder / "saint-leu.html")]
    proc = clsdata("status", "--db", str(db))
    assert proc.returncode == 0
    assert (f"sources gone (1; loaded before, their files are no longer there, rows kept):\n"
            f"  {folder / 'le-mans.html'}: contract current, missing since") in proc.stdout
    proc = clsdata("run", "--source", str(folder), "--db", str(db))
    assert f"source gone: {folder / 'le-mans.html'}" in proc.stdout
    shutil.copy(HTML, folder / "le-mans.html")  # back: no longer listed
    assert run_ingest(load(db=db, sources=(folder,))).missing == []
    assert "sources gone" not in clsdata("status", "--db", str(db)).stdout
