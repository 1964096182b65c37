"""One `Settings` for the environment: every variable clsdata reads, typed, with its default (pydantic-settings).

    Settings()                      the environment (CLSDATA_* variables), checked; SettingsError names the bad one
    Settings(db=..., workers=2)     explicit values (the CLI's options) win over the environment
    settings.resolve(base)          relative paths (warehouse, raw store, registry, sources) made absolute

Nothing reads `os.environ` for clsdata's own variables anywhere else, and nothing reads it at import time: a
module asks `current()` when it needs a value, so a test or a deployment can change the environment before a
run. The README's table of variables is checked against this class by tests/test_settings.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = Path("warehouse/cls.duckdb")


class SettingsError(ValueError):
    """An environment variable with a value clsdata cannot use: the message names it and says why."""


def _cache_home() -> Path:
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


class Settings(BaseSettings):
    """Every setting of a clsdata process. Environment variable = `CLSDATA_` + the field name in capitals,
    except where an alias is given."""

    model_config = SettingsConfigDict(env_prefix="CLSDATA_", extra="ignore", frozen=True, populate_by_name=True)

    # --- where a run reads and writes (the CLI's --db, --registry, --source, --raw) -------------------------
    home: Path | None = Field(default=None, description="Base of relative paths (default: the current directory)")
    db: Path = Field(default=DEFAULT_DB, description="The DuckDB warehouse file")
    registry: Path | None = Field(default=None, description="Sources registry (sources.yaml)")
    sources: tuple[Path, ...] = Field(default=(), description="Folders or files to ingest (JSON list)")
    raw_dir: Path = Field(default=Path("raw"), description="Content-addressed store of downloaded files")

    # --- how a run goes ---------------------------------------------------------------------------------------
    workers: int = Field(default=1, ge=1, le=256, description="Extraction processes (>1: a local Dask cluster)")
    dask_address: str | None = Field(default=None, description="An existing Dask scheduler (tcp://host:8786)")
    wait: float = Field(default=0.0, ge=0, description="Seconds a run waits for another run's lock")
    force: bool = Field(default=False, description="Extract every document again")
    rebuild: bool = Field(default=False, description="Start a new warehouse file")

    # --- one document's limits --------------------------------------------------------------------------------
    doc_timeout: float = Field(default=120.0, gt=0, description="Seconds for one document (parsing and OCR)")
    doc_memory_mb: int = Field(default=3072, ge=256, description="Memory of the process extracting a document")
    pdf_backend: Literal["pdfium", "pdfplumber"] = Field(default="pdfium", description="Characters from")
    native: bool = Field(default=True, description="The PDFium backend's C helpers (off: their Python reference)")
    native_cache: Path | None = Field(default=None, description="Where the C helpers are compiled "
                                                                "(default ~/.cache/clsdata/native)")
    cc: str | None = Field(default=None, validation_alias=AliasChoices("CC", "cc"),
                           description="C compiler for the helpers (default: cc, gcc or clang)")

    # --- OCR --------------------------------------------------------------------------------------------------
    ocr: bool = Field(default=True, description="Read pages without a text layer with Tesseract")
    ocr_cache: Path | None = Field(default=None, description="Tesseract results cache "
                                                             "(default ~/.cache/clsdata/ocr)")
    tesseract: str = Field(default="tesseract", description="The Tesseract program")
    ocr_max_pixels: int = Field(default=60_000_000, ge=1_000_000,
                                description="Largest page image OCR renders (pixels at the OCR resolution)")
    ocr_workers: int | None = Field(default=None, ge=1, le=64,
                                    description="Pages of one document read by OCR at once, each in its own "
                                                "process under the document's limits (default: the usable cores)")

    # --- downloads --------------------------------------------------------------------------------------------
    fetch_timeout: float = Field(default=60.0, gt=0, description="Seconds without an answer from a server")
    fetch_deadline: float = Field(default=300.0, gt=0, description="Seconds for one whole download")
    fetch_max_mb: int = Field(default=100, ge=1, description="Largest download")

    # --- clsdata query ----------------------------------------------------------------------------------------
    query_timeout: float = Field(default=60.0, gt=0, description="Seconds one query may run")
    query_memory_mb: int = Field(default=2048, ge=64, description="Memory one query may use")

    # --- review page ------------------------------------------------------------------------------------------
    review_max_body_kb: int = Field(default=2048, ge=16, description="Largest request the review page accepts")

    @field_validator("dask_address", "cc", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    def resolve(self, base: Path | None = None) -> Settings:
        """The same settings with relative paths made absolute from `home` (or `base`, or the current
        directory): a deployment's worker or a cluster resolves them the same way wherever it starts."""
        root = (self.home or base or Path.cwd()).resolve()

        def absolute(p: Path) -> Path:
            return p if p.is_absolute() else root / p

        return self.model_copy(update={
            "db": absolute(self.db), "raw_dir": absolute(self.raw_dir),
            "registry": absolute(self.registry) if self.registry else None,
            "sources": tuple(absolute(s) for s in self.sources),
        })

    @property
    def native_cache_dir(self) -> Path:
        return self.native_cache or _cache_home() / "clsdata" / "native"

    @property
    def ocr_cache_dir(self) -> Path:
        return self.ocr_cache or _cache_home() / "clsdata" / "ocr"


def env_name(field: str) -> str:
    """The environment variable of a field ('doc_timeout' -> 'CLSDATA_DOC_TIMEOUT', 'cc' -> 'CC')."""
    info = Settings.model_fields[field]
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"CLSDATA_{field.upper()}"


def load(**overrides: Any) -> Settings:
    """Settings from the environment and explicit values; SettingsError (one line: the variable, the value,
    the reason) when a value cannot be used."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        name = env_name(field) if field in Settings.model_fields else field
        raise SettingsError(f"{name}={first.get('input')!r}: {first['msg']}") from None


def current() -> Settings:
    """The environment's settings now (cheap: no cache, so a changed environment is seen)."""
    return load()
