"""One writer at a time: a run holds an exclusive lock on `<warehouse>.lock` for its whole duration.

DuckDB itself refuses a second writing process only while a connection is open; the ingest flow opens and
closes connections per document, so two runs could interleave. The lock file makes the second run wait (up
to `wait_s`) or stop with a message naming the holder.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(Exception):
    pass


@contextmanager
def run_lock(db: Path | str, wait_s: float = 0.0, holder: str = "clsdata") -> Iterator[None]:
    """Hold `<db>.lock` for the block; WarehouseBusy naming the holder (what, pid, since when) when another
    process holds it after `wait_s` seconds. `holder` says what this process is doing ('clsdata run',
    'clsdata review apply', 'Prefect deployment clsdata-ingest/weekly')."""
    path = Path(f"{db}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    other = fh.read().strip() or "another process"
                    raise WarehouseBusy(f"{db}: another clsdata process is writing this warehouse ({other}); "
                                        f"try again when it ends, or pass --wait SECONDS") from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{holder}, pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
