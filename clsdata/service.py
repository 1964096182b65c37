"""The ingest service: the one place that writes the warehouse.

    run_ingest(settings, extractor=...) -> RunSummary     a run: lock, checks, discovery, plan, load, record
    apply_review(settings, extraction, reviewer, ...)     reviewed gold in place of the machine's items

Every way in is a thin adapter over these two: `clsdata run`, `clsdata serve` and the prefect.yaml deployment
(flows/ingest.py: the same run inside a Prefect flow, extraction on its task runner), `clsdata review apply`.
A run, in order:

1. rule files, settings and the sources registry are checked (RuleFileError, SettingsError, RegistryError:
   one line naming the file, the key and the reason) before anything else;
2. the run lock `<warehouse>.lock` is taken (WarehouseBusy naming its holder, or waits `wait` seconds);
3. the warehouse is opened and verified (a damaged file: one line naming `--rebuild`); runs left 'running'
   by a killed process are recorded 'aborted'; this run is recorded 'running';
4. discovery: local files (regular files only), the registry's paths and inbox, its URLs downloaded into the
   raw store (each failure is that URL's quarantine); loaded documents whose source file is gone are noted;
5. the plan: each file's sha256 against the warehouse; unchanged files get nothing more. When nothing
   changed the run ends here, in well under a second, without Prefect (no server starts);
6. extraction by `extractor` (in this process by default; flows/ingest.py gives Prefect's task runner:
   threads, a local or an existing Dask cluster), each result loaded or quarantined here as it arrives, one
   transaction per document;
7. the run is recorded 'ok', 'failed' (a document failed for a reason not its own) or 'aborted' (Ctrl+C,
   SIGTERM, an error of the run itself).

Only this module opens the warehouse for writing (`_writer`); tests/test_service.py greps the code for it.
A run writes a new generation of the warehouse (warehouse/generations.py, ADR 0012) and publishes it at its
end, finished or aborted: readers of the published file never see a run half-way and never block it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clsdata.settings import Settings
from pipeline import EXTRACTOR_VERSION, errors
from pipeline.files import check_regular
from pipeline.rules import check_rules
from pipeline.sources import registry_to_sources, sources_to_files
from schemas.extraction import ContractExtraction
from warehouse import generations, store
from warehouse.lock import run_lock

log = logging.getLogger("clsdata.run")

Job = tuple[Path, str]  # (file, sha256)
Result = ContractExtraction | errors.DocumentError | BaseException
# Extracts the planned jobs and yields (job, result) as each one ends, in any order. A DocumentError result
# is the document's own fault (quarantined), any other exception a failure (not the document's).
Extractor = Callable[[list[Job]], Iterator[tuple[Job, Result]]]
Events = Callable[..., None]


@dataclass
class RunSummary:
    run_id: str = ""
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    needs_review: list[str] = field(default_factory=list)  # reviewed documents republished with new bytes
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (path or URL, one-line reason)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, error): not the document's fault
    missing: list[str] = field(default_factory=list)  # loaded documents whose source file is gone
    aborted_before: int = 0  # runs found 'running' (killed) and recorded 'aborted' by this run
    planned: int = 0  # documents this run had to extract

    def line(self) -> str:
        return (f"{len(self.loaded)} loaded, {len(self.unchanged)} unchanged, {len(self.quarantined)} quarantined, "
                f"{len(self.failed)} failed")

    @property
    def nothing_changed(self) -> bool:
        return not (self.loaded or self.quarantined or self.failed)


def json_events(logger: logging.Logger = log) -> Events:
    """Events as one JSON object per line on `logger` (Prefect's run logger inside a flow)."""

    def emit(event: str, **fields: Any) -> None:
        logger.info(json.dumps({"event": event, **fields}, ensure_ascii=False, default=str))

    return emit


def extract_here(jobs: list[Job]) -> Iterator[tuple[Job, Result]]:
    """The default extractor: one document after the other in this process (its parser child included)."""
    from pipeline.extract import file_to_extraction

    for job in jobs:
        try:
            yield job, file_to_extraction(job[0])
        except errors.DocumentError as exc:
            yield job, exc
        except Exception as exc:  # a fault of clsdata or of the machine
            yield job, exc


def check_start(settings: Settings) -> None:
    """What must be right before a run touches anything: the rule files and the sources registry (one-line
    errors naming the file, the key, the reason)."""
    check_rules()
    if settings.registry is not None:
        registry_to_sources(settings.registry)


@contextmanager
def _writer(generation: Path) -> Iterator[Any]:
    """The write path: a connection to this run's generation of the warehouse (never the published file).
    Callers hold the run lock."""
    with store.connect(generation) as con:
        yield con


def _verify_published(db: Path) -> None:
    """The published warehouse reads whole and has this clsdata's schema (else one line naming --rebuild)."""
    if db.exists():
        with store.connect(db, read_only=True) as con:
            store.verify(con, db)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


class Stop(BaseException):
    """Raised in the run's thread by a signal handler (SIGTERM): the run ends 'aborted'."""


def run_ingest(settings: Settings, extractor: Extractor | None = None, events: Events | None = None,
               run_id: str | None = None, holder: str = "clsdata run") -> RunSummary:
    """One ingest run (see the module's docstring). Raises WarehouseBusy, WarehouseError, RegistryError,
    RuleFileError before writing anything; an interrupted run (KeyboardInterrupt, Stop) is recorded 'aborted'
    and the exception goes on."""
    if settings.home is not None:
        settings = settings.resolve()
    emit = events or json_events()
    extractor = extractor or extract_here
    check_start(settings)
    published = Path(settings.db)
    summary = RunSummary(run_id=run_id or uuid.uuid4().hex)
    with run_lock(published, settings.wait, holder=holder):
        if not settings.rebuild:
            _verify_published(published)
        killed = _killed_runs(published)
        db = generations.begin(published, rebuild=settings.rebuild)  # this run's generation
        try:
            summary = _generation_run(settings, db, summary, extractor, emit, killed)
        finally:
            generations.publish(db, published)  # what the run did, finished or aborted
    emit("finished", run_id=summary.run_id, loaded=len(summary.loaded), unchanged=len(summary.unchanged),
         quarantined=len(summary.quarantined), failed=len(summary.failed), missing=len(summary.missing))
    return summary


def _killed_runs(published: Path) -> list[tuple[Any, ...]]:
    """The run records of processes killed during a run (SIGKILL, a machine that stopped): read from the
    generations they left unpublished, to be recorded 'aborted' by this run."""
    rows: list[tuple[Any, ...]] = []
    for generation in generations.dead(published):
        try:
            with store.connect(generation, read_only=True) as con:
                rows += store.running_runs(con)
        except Exception as exc:  # a generation killed before its first commit: nothing to record
            log.info("unreadable generation %s left by a killed run: %s", generation, exc)
    return rows


def _generation_run(settings: Settings, db: Path, summary: RunSummary, extractor: Extractor,
                    emit: Events, killed: list[tuple[Any, ...]]) -> RunSummary:
    """The run on its generation `db`: recorded 'running', then 'ok' / 'failed', or 'aborted' on any
    exception (which goes on)."""
    with _writer(db) as con:
        store.record_aborted(con, killed)
        summary.aborted_before = store.abort_dead_runs(con) + len(killed)
        store.start_run(con, summary.run_id, EXTRACTOR_VERSION)
        known = store.loaded_documents(con)
        bad = store.quarantined_documents(con)
        reviewed = store.reviewed_paths(con)
        loaded_paths = store.loaded_paths(con)
    if summary.aborted_before:
        emit("dead-runs-aborted", runs=summary.aborted_before)
    try:
        _run(settings, db, summary, extractor, emit, known, bad, reviewed, loaded_paths)
    except BaseException as exc:  # Ctrl+C, SIGTERM, a bad registry, a fault of the run: recorded 'aborted'
        with _writer(db) as con:
            store.finish_run(con, summary.run_id, len(summary.loaded), len(summary.unchanged),
                             len(summary.quarantined), len(summary.failed), aborted=True)
        emit("aborted", run_id=summary.run_id, error=f"{type(exc).__name__}: {exc}"[:300])
        raise
    with _writer(db) as con:
        store.finish_run(con, summary.run_id, len(summary.loaded), len(summary.unchanged),
                         len(summary.quarantined), len(summary.failed))
    return summary


def _discover(settings: Settings, db: Path, summary: RunSummary, emit: Events) -> tuple[list[Path], list[str]]:
    """Files of this run and the local roots it covers. URLs are downloaded (several at a time); a download
    that fails is that URL's quarantine."""
    from pipeline.fetch import url_to_raw

    paths = list(settings.sources)
    urls: list[str] = []
    if settings.registry is not None:
        reg = registry_to_sources(settings.registry)
        paths += [s.path for s in reg.sources if s.path is not None]
        if reg.inbox is not None:
            reg.inbox.mkdir(parents=True, exist_ok=True)
            paths.append(reg.inbox)
        urls = [s.url for s in reg.sources if s.url is not None]
    roots = [str(p) for p in paths]
    files = sources_to_files(paths)
    if urls:
        with store.connect(db, read_only=True) as con:
            previous = {u: store.fetch_state(con, u) for u in urls}
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="clsdata-fetch") as pool:
            futures = [pool.submit(url_to_raw, u, Path(settings.raw_dir), previous[u], settings=settings) for u in urls]
            for url, future in zip(urls, futures, strict=True):
                try:
                    got = future.result()
                except errors.DocumentError as exc:
                    with _writer(db) as con:
                        store.quarantine_document(con, url, None, exc.reason, exc.detail, EXTRACTOR_VERSION)
                    summary.quarantined.append((url, exc.one_line()))
                    emit("quarantined", url=url, reason=exc.reason, detail=exc.detail)
                    continue
                except Exception as exc:  # the raw store (disk full, permissions), a bug: not the URL's fault
                    summary.failed.append((url, f"{type(exc).__name__}: {exc}"[:300]))
                    emit("failed", url=url, error=f"{type(exc).__name__}: {exc}"[:300])
                    continue
                with _writer(db) as con:
                    store.save_fetch(con, url, got.etag, got.last_modified, got.sha256, str(got.path))
                emit("fetched", url=url, sha256=got.sha256, changed=got.changed, raw=str(got.path))
                files.append(got.path)
    return files, roots


def _run(settings: Settings, db: Path, summary: RunSummary, extractor: Extractor, emit: Events,
         known: dict[str, str], bad: dict[str, tuple[str | None, str]], reviewed: dict[str, str],
         loaded_paths: list[tuple[str, str, Any]]) -> None:
    files, roots = _discover(settings, db, summary, emit)
    emit("discovered", documents=len(files), sources=[str(s) for s in settings.sources],
         registry=str(settings.registry) if settings.registry else None)

    # Loaded documents of these sources whose file is gone: said by this run and `clsdata status`.
    in_scope = [(p, sha) for p, sha, _ in loaded_paths if _under(p, roots)]
    gone = [(p, sha) for p, sha in in_scope if not os.path.lexists(p)]
    back = [p for p, _ in in_scope if os.path.lexists(p)]
    with _writer(db) as con:
        store.note_missing(con, summary.run_id, gone, back)
    summary.missing = [p for p, _ in gone]
    for gone_path, gone_sha in gone:
        emit("source-missing", path=gone_path, sha256=gone_sha, reason="the file of a loaded document is gone")

    todo: list[Job] = []
    for path in files:
        try:
            check_regular(path)
            sha = _sha256(path)
        except errors.DocumentError as exc:
            _quarantine(db, summary, emit, exc, None)
            continue
        except OSError as exc:
            _quarantine(db, summary, emit, errors.DocumentError(str(path), errors.UNREADABLE,
                                                                exc.strerror or str(exc)), None)
            continue
        same = known.get(sha) == EXTRACTOR_VERSION or bad.get(str(path)) == (sha, EXTRACTOR_VERSION)
        if same and not settings.force:
            summary.unchanged.append(str(path))
            continue
        if str(path) in reviewed and reviewed[str(path)] != sha:
            summary.needs_review.append(str(path))
            emit("needs-review", sha256=sha, path=str(path), reviewed_sha256=reviewed[str(path)],
                 reason="the document's bytes changed since its gold was reviewed")
        todo.append((path, sha))
    summary.planned = len(todo)
    if not todo:
        emit("nothing-changed", unchanged=len(summary.unchanged))
        return

    for (path, sha), result in extractor(todo):
        try:
            if isinstance(result, errors.DocumentError):
                if result.path != str(path):  # cached under another name
                    result = errors.DocumentError(str(path), result.reason, result.detail)
                _quarantine(db, summary, emit, result, sha)
                continue
            if isinstance(result, BaseException):
                raise result
            if result.document.path != str(path):  # the same bytes met under another name: cached result
                result = result.model_copy(update={"document": result.document.model_copy(update={"path": str(path)})})
            with _writer(db) as con:
                loaded = store.load_extraction(con, result)
            if not loaded:
                summary.unchanged.append(str(path))
                emit("kept-reviewed", sha256=sha, path=str(path))
                continue
            summary.loaded.append(str(path))
            emit("loaded", sha256=sha, path=str(path), territory=result.contract.territory,
                 axes=len(result.axes), actions=len(result.actions))
        except Exception as exc:  # a fault of clsdata or of the machine, not of the document
            summary.failed.append((str(path), f"{type(exc).__name__}: {exc}"[:300]))
            emit("failed", sha256=sha, path=str(path), error=f"{type(exc).__name__}: {exc}"[:300])


def _quarantine(db: Path, summary: RunSummary, emit: Events, exc: errors.DocumentError, sha: str | None) -> None:
    with _writer(db) as con:
        store.quarantine_document(con, exc.path, sha, exc.reason, exc.detail, EXTRACTOR_VERSION)
    summary.quarantined.append((exc.path, exc.one_line()))
    emit("quarantined", sha256=sha, path=exc.path, reason=exc.reason, detail=exc.detail)


def apply_review(settings: Settings, reviewed: ContractExtraction, reviewer: str, reviewed_on: Any = None) -> None:
    """Reviewed gold in place of the machine's items (origin 'reviewed'), under the run lock like a run."""
    db = Path(settings.db)
    with run_lock(db, settings.wait, holder="clsdata review apply"):
        _verify_published(db)
        generation = generations.begin(db)
        try:
            with _writer(generation) as con:
                store.load_extraction(con, reviewed, origin="reviewed", reviewed_by=reviewer,
                                      reviewed_on=reviewed_on)
        except BaseException:
            generations.discard(generation)
            raise
        generations.publish(generation, db)

