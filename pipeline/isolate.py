"""Parse PDFs in a long-lived child process with a wall-time limit per document and a memory limit.

pdfplumber and PDFium hang, crash or explode on some hostile files; the child is killed and the document
quarantined with the reason, while the run goes on with a fresh child. Starting an interpreter costs ~0.3 s,
more than parsing a short contract, so one child serves many documents (ADR 0002, ADR 0005): it is replaced
after a timeout, a crash, a memory error, or `RECYCLE_AFTER` documents.

The child is a fresh interpreter (`python -m pipeline.isolate SERVE MEMORY_MB`): nothing of the parent
(Prefect threads, DuckDB handles, __main__) is inherited. It sets its own address-space limit, says it is
ready, then answers length-prefixed pickled requests (parse a PDF, or render and OCR one page) on stdin with
pickled results on stdout. Its stderr (parser warnings) goes to a temporary file, read back only to explain a
crash. OCR runs there too (rendering, image work, Tesseract, which inherits the limit): a page image that
explodes in memory costs the child, never the run (issue #18).

Limits (clsdata.settings): CLSDATA_DOC_TIMEOUT seconds and CLSDATA_DOC_MEMORY_MB, read when a worker starts
or a document is asked for, not at import.
"""

from __future__ import annotations

import atexit
import os
import pickle
import selectors
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

from pipeline import errors
from pipeline.model import Page

RECYCLE_AFTER = 200  # documents per child, to bound what a leak can take
STARTUP_TIMEOUT_S = 60.0
_HEADER = struct.Struct("!Q")


class _Died(Exception):
    """The child ended (or stopped answering) before its answer was complete."""


def _read_frame(stream: IO[bytes], deadline: float | None) -> bytes:
    """One length-prefixed frame from the child's stdout, waiting at most until `deadline`."""
    fd = stream.fileno()
    buf = bytearray()
    need = _HEADER.size
    header_done = False
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            while len(buf) >= need:
                if header_done:
                    return bytes(buf[:need])
                (length,) = _HEADER.unpack(buf[: _HEADER.size])
                del buf[: _HEADER.size]
                need, header_done = length, True
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                raise TimeoutError
            if not sel.select(wait):
                raise TimeoutError
            chunk = os.read(fd, max(need - len(buf), 65536))
            if not chunk:
                raise _Died
            buf += chunk


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


class ParserWorker:
    """One child interpreter parsing PDFs on request (not thread-safe: one per thread)."""

    def __init__(self, memory_mb: int | None = None) -> None:
        self.memory_mb = memory_mb or default_memory_mb()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self.jobs = 0
        self.starts = 0
        self._env: tuple[tuple[str, str], ...] = ()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> subprocess.Popen[bytes]:
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (kept open for the child's life; closed in close())
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.isolate", "serve", str(self.memory_mb)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        self._proc, self.jobs, self._env = proc, 0, _clsdata_env()
        self.starts += 1
        try:
            assert proc.stdout is not None
            if _read_frame(proc.stdout, time.monotonic() + STARTUP_TIMEOUT_S) != b"ready":
                raise _Died
        except (TimeoutError, _Died):
            tail = self._stderr_tail()
            self.close()
            raise RuntimeError(f"the PDF parser process did not start: {tail}") from None
        return proc

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1][:200] if lines else ""

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def parse(self, path: Path, *, timeout_s: float | None = None, backend: str | None = None) -> list[Page]:
        """layout.pdf_to_pages in the child; DocumentError(path, …) on timeout, memory error or crash."""
        if not backend:
            from clsdata.settings import current

            backend = current().pdf_backend  # the parent's setting, whatever the child's environment
        return self._ask(path, ("pages", str(path), backend), timeout_s)  # type: ignore[no-any-return]

    def render(self, path: Path, number: int, dpi: float, *, timeout_s: float | None = None) -> bytes:
        """Page `number` as a grayscale PNG at `dpi`, rendered in the child (for OCR)."""
        return self._ask(path, ("render", str(path), number, dpi), timeout_s)  # type: ignore[no-any-return]

    def ocr(self, path: Path, number: int, dpi: float, max_pixels: int, *, timeout_s: float | None = None) -> Any:
        """Page `number` rendered at `dpi` and read by Tesseract in the child (ocr.OcrPage): the page's image,
        its arrays and Tesseract live under the child's memory limit. DocumentError PAGE_TOO_LARGE for a page
        above `max_pixels`, TIMEOUT / TOO_BIG past the limits, CRASHED for an OCR failure."""
        return self._ask(path, ("ocr", str(path), number, dpi, max_pixels), timeout_s)

    def _ask(self, path: Path, request: tuple[Any, ...], timeout_s: float | None) -> Any:
        if timeout_s is None:
            timeout_s = default_timeout_s()
        name = str(path)
        if (self._proc is None or self._proc.poll() is not None or self.jobs >= RECYCLE_AFTER
                or self._env != _clsdata_env()):  # the child reads its settings from the environment it started in
            self.close()
            self._start()
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        self.jobs += 1
        try:
            _write_frame(proc.stdin, pickle.dumps(request))
            status, payload = pickle.loads(_read_frame(proc.stdout, time.monotonic() + timeout_s))
        except TimeoutError:
            self.close()
            raise errors.DocumentError(name, errors.TIMEOUT, f"no result after {timeout_s:g} s") from None
        except (_Died, BrokenPipeError, pickle.UnpicklingError, EOFError):
            proc.wait()
            code, tail = proc.returncode, self._stderr_tail()
            self.close()
            reason = errors.TOO_BIG if code == -9 or "MemoryError" in tail else errors.CRASHED
            raise errors.DocumentError(name, reason, f"parser exit code {code}: {tail}") from None
        if status == "ok":
            return payload
        if status == "doc_error":
            raise errors.DocumentError(*payload)
        self.close()  # after a memory error or an unexpected exception, start clean
        if status == "memory":
            raise errors.DocumentError(name, errors.TOO_BIG, f"more than {self.memory_mb} MB")
        raise errors.DocumentError(name, errors.CRASHED, str(payload)[:300])


def _clsdata_env() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("CLSDATA_") or k == "CC"))


_local = threading.local()
_all: list[ParserWorker] = []
_lock = threading.Lock()


def _worker(memory_mb: int) -> ParserWorker:
    worker: ParserWorker | None = getattr(_local, "worker", None)
    if worker is None or worker.memory_mb != memory_mb:
        if worker is not None:
            worker.close()
        worker = ParserWorker(memory_mb)
        _local.worker = worker
        with _lock:
            _all.append(worker)
    return worker


@atexit.register
def close_workers() -> None:
    with _lock:
        for worker in _all:
            worker.close()
        _all.clear()


def default_timeout_s() -> float:
    from clsdata.settings import current

    return current().doc_timeout


def default_memory_mb() -> int:
    from clsdata.settings import current

    return current().doc_memory_mb


def pdf_to_pages_isolated(path: Path, *, timeout_s: float | None = None,
                          memory_mb: int | None = None, backend: str | None = None) -> list[Page]:
    """layout.pdf_to_pages in this thread's long-lived child process (started on first use)."""
    return _worker(memory_mb or default_memory_mb()).parse(path, timeout_s=timeout_s, backend=backend)


def render_page_isolated(path: Path, number: int, dpi: float, *, timeout_s: float | None = None,
                         memory_mb: int | None = None) -> bytes:
    """One page as a grayscale PNG, rendered by PDFium in this thread's child process (time and memory limits
    as for parsing)."""
    return _worker(memory_mb or default_memory_mb()).render(path, number, dpi, timeout_s=timeout_s)


def ocr_page_isolated(path: Path, number: int, dpi: float, max_pixels: int, *, timeout_s: float | None = None,
                      memory_mb: int | None = None) -> Any:
    """One page rendered and read by Tesseract in this thread's child process (ocr.OcrPage)."""
    return _worker(memory_mb or default_memory_mb()).ocr(path, number, dpi, max_pixels, timeout_s=timeout_s)


def _answer(request: tuple[Any, ...]) -> tuple[str, Any]:
    from pipeline.layout import pdf_to_pages
    from pipeline.pdfium import render_page_gray_png

    kind, name, *args = request
    path = Path(name)
    try:
        if kind == "render":
            return ("ok", render_page_gray_png(path, int(args[0]), float(args[1])))
        if kind == "ocr":
            from pipeline import ocr

            number, dpi, max_pixels = int(args[0]), float(args[1]), int(args[2])
            png = render_page_gray_png(path, number, dpi, max_pixels)
            try:
                return ("ok", ocr.image_to_ocr_page(png, dpi / 72.0))
            except ocr.OcrFailed as exc:
                return ("doc_error", (str(path), errors.CRASHED, f"OCR of page {number}: {exc}"))
        return ("ok", pdf_to_pages(path, args[0]))
    except errors.DocumentError as exc:
        return ("doc_error", (exc.path, exc.reason, exc.detail))
    except MemoryError:
        return ("memory", "")
    except RecursionError as exc:
        return ("doc_error", (str(path), errors.CORRUPT, f"RecursionError: {exc}"))
    except Exception as exc:  # anything else: a crash of this document only
        return ("crash", f"{type(exc).__name__}: {exc}")


def _serve(memory_mb: int) -> int:
    import signal

    # Ctrl+C in a terminal reaches the whole process group: the parent decides (it stops the run and kills
    # this child); a document must not be taken for a crash because its parser got the SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    import pipeline.layout  # noqa: F401  (imports paid before "ready", not inside a document's time)

    # Answers go on a private copy of stdout; anything a library prints lands in stderr instead.
    stdout = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    stdin = sys.stdin.buffer
    _write_frame(stdout, b"ready")
    while True:
        try:
            request = _read_frame(stdin, None)
        except _Died:
            return 0
        result = _answer(pickle.loads(request))
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", ""))
        _write_frame(stdout, payload)


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[2])))
