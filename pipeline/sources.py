"""Finding the documents of a run: files below source folders (or given one by one)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SUFFIXES = {".pdf", ".html", ".htm"}


def sources_to_files(sources: Iterable[Path]) -> list[Path]:
    """Every .pdf/.html/.htm below each source folder (or the file itself), sorted, without duplicates."""
    seen: dict[Path, None] = {}
    for source in sources:
        source = Path(source)
        if source.is_dir():
            found = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            found = [source]
        for p in found:
            seen.setdefault(p, None)
    return list(seen)
