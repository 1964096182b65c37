"""The ingest flow: discover files -> per document: hash, extract, segment, validate, load.

A document that cannot be extracted is quarantined with its reason and the others still load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402

from pipeline import EXTRACTOR_VERSION, errors  # noqa: E402
from pipeline.extract import file_to_extraction  # noqa: E402
from pipeline.sources import sources_to_files  # noqa: E402
from schemas.extraction import ContractExtraction  # noqa: E402
from warehouse import store  # noqa: E402


@dataclass
class RunSummary:
    loaded: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)


@task(name="extract-document", task_run_name="extract {path}")
def extract_document(path: str) -> ContractExtraction | errors.DocumentError:
    try:
        return file_to_extraction(Path(path))
    except errors.DocumentError as exc:
        return exc


@task(name="load-document", task_run_name="load {extraction.document.path}")
def load_document(db: str, extraction: ContractExtraction) -> None:
    with store.connect(db) as con:
        store.load_extraction(con, extraction)


@task(name="quarantine-document", task_run_name="quarantine {error.path}")
def quarantine_document(db: str, error: errors.DocumentError) -> None:
    with store.connect(db) as con:
        store.quarantine_document(con, error.path, None, error.reason, error.detail, EXTRACTOR_VERSION)


@flow(name="clsdata-ingest")
def ingest(sources: list[str], db: str = str(store.DEFAULT_DB)) -> RunSummary:
    logger = get_run_logger()
    files = sources_to_files(Path(s) for s in sources)
    logger.info("%d documents found in %s", len(files), ", ".join(sources))
    summary = RunSummary()
    for path in files:
        result = extract_document(str(path))
        if isinstance(result, errors.DocumentError):
            quarantine_document(db, result)
            summary.quarantined.append((str(path), result.one_line()))
            logger.warning("quarantined %s", result.one_line())
            continue
        load_document(db, result)
        summary.loaded.append(str(path))
        logger.info("loaded %s sha256=%s: %d axes, %d actions", path, result.document.sha256[:12],
                    len(result.axes), len(result.actions))
    return summary
