"""Small C helpers for the hot loops, compiled on first use with the system C compiler and cached.

`pdfium_chars.c`: PDFium's per-character text data and paths of a page read in one call each instead of ~6
ctypes calls per character; `words.c`: those characters grouped into words (see ADR 0010). Neither links against
anything; each has a pure Python twin that gives the same results, used when no compiler is found, when
compiling fails, or with `CLSDATA_NATIVE=off`, and compared with it by the tests.

The shared object is cached under `CLSDATA_NATIVE_CACHE` (default `~/.cache/clsdata/native`), named by a hash
of the source, the shared headers (`*.h`) and the platform, written atomically: parallel workers may race to
build it, never to load a half-written file.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
# The helpers exchange text as native-endian UTF-32 code points (uint32 arrays): the codec that decodes them.
UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"


def _cache_dir() -> Path:
    from clsdata.settings import current

    return current().native_cache_dir


def _compiler() -> str | None:
    from clsdata.settings import current

    for name in (current().cc, "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    return None


def _build(source: Path, target: Path, compiler: str) -> str | None:
    """Compile `source` into `target` (atomically); the error text when it fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        proc = subprocess.run([compiler, "-O2", "-std=c99", "-ffp-contract=off", "-shared", "-fPIC", "-o", tmp,
                               str(source), "-lm"],
                              capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            return (proc.stderr or proc.stdout).strip()[-500:] or f"{compiler} exited with {proc.returncode}"
        os.replace(tmp, target)
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@functools.cache
def library(name: str) -> ctypes.CDLL | None:
    """The compiled helper `name` (`pipeline/native/<name>.c`), built if needed; None when unavailable."""
    from clsdata.settings import current

    if not current().native:
        return None
    source = HERE / f"{name}.c"
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in [source, *sorted(HERE.glob("*.h"))])).hexdigest()[:16]
    tag = f"{name}-{digest}-{sys.platform}-{platform.machine()}.so"
    reasons = []
    for folder in (_cache_dir(), Path(tempfile.gettempdir()) / "clsdata-native"):
        target = folder / tag
        if not target.exists():
            compiler = _compiler()
            if compiler is None:
                reasons.append("no C compiler (cc, gcc or clang) on PATH")
                break
            try:
                error = _build(source, target, compiler)
            except OSError as exc:  # the folder cannot be written: try the next
                error = str(exc)
            if error:
                reasons.append(f"{folder}: {error}")
                continue
            for old in folder.glob(f"{name}-*.so"):  # builds of earlier sources (a process using one keeps it)
                if old != target:
                    old.unlink(missing_ok=True)
        try:
            return ctypes.CDLL(str(target))
        except OSError as exc:
            reasons.append(f"{target}: {exc}")
    log.warning("native helper %s unavailable, using the Python fallback: %s", name, "; ".join(reasons))
    return None


@functools.cache
def function(name: str, symbol: str, *argtypes: Any) -> Any:
    """Function `symbol` of helper `name`, typed (its arguments `argtypes`, an int result); None without it."""
    lib = library(name)
    if lib is None:
        return None
    fn = getattr(lib, symbol)
    fn.argtypes, fn.restype = list(argtypes), ctypes.c_int
    return fn
