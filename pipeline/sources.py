"""Finding the documents of a run: files below source folders (or given one by one), and the sources registry
(`sources.yaml`: one entry per publication, by URL or local path, plus an inbox folder)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SUFFIXES = {".pdf", ".html", ".htm"}
# Folders below a source folder that hold no publications: fixture generators (their HTML is a build input).
SKIPPED_DIRS = {"generator", ".git", "__pycache__"}
KINDS = {"contract", "overview"}


class RegistryError(ValueError):
    """A sources registry that cannot be used: the message names the file, the entry and the reason."""


@dataclass(frozen=True)
class Source:
    """One publication: where to get it (a URL or a local path) and what the registry says about it."""

    url: str | None
    path: Path | None
    territory: str | None = None
    publisher: str | None = None
    kind: str | None = None  # expected document kind: contract | overview


@dataclass(frozen=True)
class Registry:
    sources: tuple[Source, ...]
    inbox: Path | None = None


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


def _entry(raw: Any, where: str, base: Path) -> Source:
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: an entry must be a mapping (url or path, territory, publisher, kind)")
    unknown = set(raw) - {"url", "path", "territory", "publisher", "kind"}
    if unknown:
        raise RegistryError(f"{where}: unknown keys {sorted(unknown)}")
    url, path = raw.get("url"), raw.get("path")
    if bool(url) == bool(path):
        raise RegistryError(f"{where}: give exactly one of `url` or `path`")
    if url and not str(url).startswith(("http://", "https://")):
        raise RegistryError(f"{where}: url must start with http:// or https:// (got {url!r})")
    kind = raw.get("kind")
    if kind is not None and kind not in KINDS:
        raise RegistryError(f"{where}: kind must be one of {sorted(KINDS)} (got {kind!r})")
    resolved = None if path is None else (base / str(path)).resolve() if not Path(str(path)).is_absolute() \
        else Path(str(path))
    return Source(url=str(url) if url else None, path=resolved, territory=raw.get("territory"),
                  publisher=raw.get("publisher"), kind=kind)


def registry_to_sources(path: Path) -> Registry:
    """Read and check a sources registry; relative paths are relative to the registry file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the sources registry ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("sources", []), list):
        raise RegistryError(f"{path}: expected a mapping with a `sources:` list (and an optional `inbox:`)")
    base = path.resolve().parent
    entries = tuple(_entry(e, f"{path}: sources[{i}]", base) for i, e in enumerate(raw.get("sources") or []))
    inbox = raw.get("inbox")
    return Registry(entries, (base / str(inbox)).resolve() if inbox else None)
