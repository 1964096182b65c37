"""Finding the documents of a run: files below source folders (or given one by one), and the sources registry
(`sources.yaml`: one entry per publication, by URL or local path, plus an inbox folder)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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


class SourceEntry(BaseModel):
    """One entry of `sources:` as written in the registry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    path: str | None = None
    territory: str | None = None
    publisher: str | None = None
    kind: Literal["contract", "overview"] | None = None

    @model_validator(mode="after")
    def _one_place(self) -> SourceEntry:
        if bool(self.url) == bool(self.path):
            raise ValueError("give exactly one of `url` or `path`")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https:// (got {self.url!r})")
        return self


class RegistryFile(BaseModel):
    """sources.yaml: `sources:` (publications) and an optional `inbox:` folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inbox: str | None = None
    sources: list[SourceEntry] = Field(default_factory=list)


def _message(path: Path, exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = list(first["loc"])
    where = f"sources[{loc[1]}]" if len(loc) >= 2 and loc[0] == "sources" else ".".join(map(str, loc))
    if first["type"] == "extra_forbidden":
        unknown = sorted(str(e["loc"][-1]) for e in exc.errors() if e["type"] == "extra_forbidden"
                         and list(e["loc"][:-1]) == loc[:-1])
        reason = f"unknown keys {unknown}" if len(loc) > 1 else f"unknown keys {unknown} (expected sources, inbox)"
    elif first["type"] == "literal_error" and loc[-1] == "kind":
        reason = f"kind must be one of {sorted(KINDS)} (got {first.get('input')!r})"
    elif first["type"] == "model_type" and len(loc) == 2:
        reason = "an entry must be a mapping (url or path, territory, publisher, kind)"
    else:
        reason = first["msg"].removeprefix("Value error, ")
        if len(loc) > 2:
            reason = f"{loc[-1]}: {reason}"
    return f"{path}: {where}: {reason}" if where else f"{path}: {reason}"


def _resolve(base: Path, value: str) -> Path:
    return Path(value) if Path(value).is_absolute() else (base / value).resolve()


def registry_to_sources(path: Path) -> Registry:
    """Read and check a sources registry (RegistryFile); relative paths are relative to the registry file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the sources registry ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("sources", []), list | None):
        raise RegistryError(f"{path}: expected a mapping with a `sources:` list (and an optional `inbox:`)")
    try:
        checked = RegistryFile.model_validate({**raw, "sources": raw.get("sources") or []})
    except ValidationError as exc:
        raise RegistryError(_message(path, exc)) from None
    base = path.resolve().parent
    entries = tuple(Source(url=e.url, path=_resolve(base, e.path) if e.path else None, territory=e.territory,
                           publisher=e.publisher, kind=e.kind) for e in checked.sources)
    return Registry(entries, _resolve(base, checked.inbox) if checked.inbox else None)
