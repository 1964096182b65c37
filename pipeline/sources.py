"""Finding the documents of a run: files below source folders (or given one by one)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SUFFIXES = {".pdf", ".html", ".htm"}
# Folders below a source folder that hold no publications: fixture generators (their HTML is a build input).
SKIPPED_DIRS = {"generator", ".git", "__pycache__"}


def sources_to_files(sources: Iterable[Path]) -> list[Path]:
    """Every .pdf/.html/.htm below each source folder (or the file itself), sorted, without duplicates."""
    seen: dict[Path, None] = {}
    for source in sources:
        source = Path(source)
        if source.is_dir():
            found = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                           and not SKIPPED_DIRS & set(p.relative_to(source).parts[:-1]))
        else:
            found = [source]
        for p in found:
            seen.setdefault(p, None)
    return list(seen)
