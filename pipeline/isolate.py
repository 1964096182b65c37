"""Run one document's PDF parsing in a child process with a wall-time and a memory limit.

pdfplumber hangs or explodes on some hostile files; the child is killed and the document quarantined with
the reason, while the parent (the run) goes on. The child is a fresh interpreter (`python -m
pipeline.isolate PATH`): nothing of the parent (Prefect threads, DuckDB handles, __main__) is inherited.
It sets its own address-space limit and writes its pickled result on stdout.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from pipeline import errors
from pipeline.model import Page

DEFAULT_TIMEOUT_S = float(os.environ.get("CLSDATA_DOC_TIMEOUT", "120"))
DEFAULT_MEMORY_MB = int(os.environ.get("CLSDATA_DOC_MEMORY_MB", "3072"))


def pdf_to_pages_isolated(path: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                          memory_mb: int = DEFAULT_MEMORY_MB) -> list[Page]:
    """layout.pdf_to_pages in a child process; DocumentError(path, …) on timeout, memory or crash."""
    name = str(path)
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "pipeline.isolate", str(path), str(memory_mb)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise errors.DocumentError(name, errors.TIMEOUT, f"no result after {timeout_s:g} s") from None
    try:
        status, payload = pickle.loads(out)
    except Exception:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        reason = errors.TOO_BIG if proc.returncode in (-9,) or "MemoryError" in tail[0] else errors.CRASHED
        raise errors.DocumentError(name, reason, f"parser exit code {proc.returncode}: {tail[0][:200]}") from None
    if status == "ok":
        return payload  # type: ignore[no-any-return]
    if status == "doc_error":
        raise errors.DocumentError(*payload)
    if status == "memory":
        raise errors.DocumentError(name, errors.TOO_BIG, f"more than {memory_mb} MB")
    raise errors.DocumentError(name, errors.CRASHED, str(payload)[:300])


def _main(argv: list[str]) -> int:
    path, memory_mb = Path(argv[0]), int(argv[1])
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    from pipeline.layout import pdf_to_pages

    result: tuple[str, object]
    try:
        result = ("ok", pdf_to_pages(path))
    except errors.DocumentError as exc:
        result = ("doc_error", (exc.path, exc.reason, exc.detail))
    except MemoryError:
        result = ("memory", "")
    except RecursionError as exc:
        result = ("doc_error", (str(path), errors.CORRUPT, f"RecursionError: {exc}"))
    except Exception as exc:  # anything else: a crash of this document only
        result = ("crash", f"{type(exc).__name__}: {exc}")
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
