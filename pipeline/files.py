"""What a path is before anything opens it: only regular files are read (issue #18: a FIFO blocks a reader
forever, /dev/zero never ends, a socket or a device is not a document)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pipeline import errors

__all__ = ["check_regular", "not_regular"]

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def not_regular(mode: int) -> str | None:
    """What a file is when it is not a regular file ('a FIFO (named pipe)'), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def check_regular(path: Path) -> None:
    """DocumentError MISSING / NOT_REGULAR unless `path` is a regular file (FIFOs, devices, sockets and folders
    are refused before anything opens them: reading a FIFO blocks, /dev/zero never ends)."""
    name = str(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise errors.DocumentError(name, errors.MISSING) from None
    except OSError as exc:
        raise errors.DocumentError(name, errors.UNREADABLE, exc.strerror or str(exc)) from exc
    what = not_regular(mode)
    if what is not None:
        raise errors.DocumentError(name, errors.NOT_REGULAR, what)
