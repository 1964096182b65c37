"""Shared test fixtures: the gold fixtures, one extraction per source (spaCy loaded once), the Prefect harness."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import chdir
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from pipeline.extract import file_to_extraction  # noqa: E402
from schemas.extraction import ContractExtraction  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DATA = Path(__file__).resolve().parent / "data"
SOURCES = sorted(p for p in FIXTURES.glob("*/source.*") if p.suffix in {".pdf", ".html"})

_cache: dict[Path, ContractExtraction] = {}


def extraction_of(path: Path) -> ContractExtraction:
    if path not in _cache:
        _cache[path] = file_to_extraction(path)
    return _cache[path]


@pytest.fixture(scope="session")
def extractions() -> dict[Path, ContractExtraction]:
    return {p: extraction_of(p) for p in SOURCES}


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session (it takes 10-20 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def fixtures_warehouse(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse `make run` builds (`clsdata run --source fixtures` from the repository: the real Prefect
    flow over every fixture, the repository's territories.yaml), in a temporary folder. Read-only for tests."""
    from flows.ingest import ingest

    db = tmp_path_factory.mktemp("make-run") / "cls.duckdb"
    with chdir(ROOT):
        summary = ingest(["fixtures"], str(db))
    assert summary.failed == [] and summary.quarantined == [], summary
    return db
