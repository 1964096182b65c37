"""The ingest flow: sources -> (download) -> plan (what changed) -> extract (parallel) -> load, one by one.

Thin orchestration over library functions:
- registry entries with a URL are downloaded into the content-addressed raw store (I/O task, retried);
- a document is extracted only when its bytes or the extractor version changed (a no-change run extracts
  nothing and says so); extraction results are cached by Prefect on (sha256, extractor version);
- extraction runs on the flow's task runner (threads by default, Dask with `task_runner=`), loading stays in
  the flow's process (one DuckDB writer, one transaction per document);
- a run holds the warehouse's run lock (the caller's `warehouse.lock.run_lock`), is recorded in `runs`, and
  logs one JSON object per event, keyed by the document's sha256;
- a run writes a new generation of the warehouse and publishes it atomically at its end
  (`warehouse.generations.begin` / `publish`, ADR 0012): readers never see it half-way and never block it.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.context import FlowRunContext  # noqa: E402

from pipeline import EXTRACTOR_VERSION, errors  # noqa: E402
from pipeline.extract import file_to_extraction  # noqa: E402
from pipeline.fetch import url_to_raw  # noqa: E402
from pipeline.sources import registry_to_sources, sources_to_files  # noqa: E402
from schemas.extraction import ContractExtraction  # noqa: E402
from warehouse import generations, store  # noqa: E402

DEFAULT_RAW = Path("raw")


@dataclass
class RunSummary:
    run_id: str = ""
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    needs_review: list[str] = field(default_factory=list)  # reviewed documents republished with new bytes
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, error): not the document's fault

    def line(self) -> str:
        return (f"{len(self.loaded)} loaded, {len(self.unchanged)} unchanged, {len(self.quarantined)} quarantined, "
                f"{len(self.failed)} failed")


def _log(event: str, **fields: Any) -> None:
    get_run_logger().info(json.dumps({"event": event, **fields}, ensure_ascii=False, default=str))


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@cache
def code_fingerprint() -> str:
    """Hash of the extractor's code and rules: a cached extraction is reused only by the same extractor, even
    when a developer changed it without bumping EXTRACTOR_VERSION."""
    root = Path(__file__).resolve().parent.parent / "pipeline"
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in {".py", ".yaml", ".csv", ".c", ".h"}):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _extraction_cache_key(_: Any, parameters: dict[str, Any]) -> str:
    return f"clsdata-extract-{parameters['sha256']}-{EXTRACTOR_VERSION}-{code_fingerprint()}"


def prune_extraction_cache() -> int:
    """Delete the persisted extractions no run can reuse: their key names another extractor version or code
    fingerprint (`_extraction_cache_key`). Without this, every extractor change left a full copy of the
    corpus's extractions in Prefect's result storage. Returns how many were deleted."""
    from prefect.settings import get_current_settings

    folder = Path(get_current_settings().results.local_storage_path).expanduser()
    current = f"-{EXTRACTOR_VERSION}-{code_fingerprint()}"
    stale = [p for p in folder.glob("clsdata-extract-*") if not p.name.endswith(current)]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def task_runner(workers: int = 0, dask_address: str | None = None) -> Any:
    """Threads in this process (default), a local Dask cluster of `workers` processes, or an existing cluster."""
    if dask_address or workers > 1:
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=max(workers, 1))


@task(name="fetch-source", task_run_name="fetch {url}", retries=2, retry_delay_seconds=[2, 10])
def fetch_source(url: str, raw_dir: str, previous: dict[str, Any] | None) -> Any:
    try:
        return url_to_raw(url, Path(raw_dir), previous)
    except errors.DocumentError as exc:
        return exc


@task(name="extract-document", task_run_name="extract {path}", cache_key_fn=_extraction_cache_key,
      persist_result=True)
def extract_document(path: str, sha256: str) -> ContractExtraction | errors.DocumentError:
    try:
        return file_to_extraction(Path(path))
    except errors.DocumentError as exc:
        return exc


@task(name="load-document", task_run_name="load {extraction.document.path}", retries=2, retry_delay_seconds=1)
def load_document(db: str, extraction: ContractExtraction) -> bool:
    """False when the document's rows come from reviewed gold: a machine re-run does not overwrite them."""
    with store.connect(db) as con:
        return store.load_extraction(con, extraction)


@task(name="quarantine-document", task_run_name="quarantine {error.path}", retries=2, retry_delay_seconds=1)
def quarantine_document(db: str, error: errors.DocumentError, sha256: str | None) -> None:
    with store.connect(db) as con:
        store.quarantine_document(con, error.path, sha256, error.reason, error.detail, EXTRACTOR_VERSION)


def _discover(sources: list[str], registry: str | None, raw_dir: str, db: str,
              summary: RunSummary) -> list[Path]:
    """Local files, the registry's local paths and inbox, and its URLs downloaded (quarantined on failure)."""
    paths = [Path(s) for s in sources]
    urls: list[str] = []
    if registry:
        reg = registry_to_sources(Path(registry))
        paths += [s.path for s in reg.sources if s.path is not None]
        if reg.inbox is not None:
            reg.inbox.mkdir(parents=True, exist_ok=True)
            paths.append(reg.inbox)
        urls = [s.url for s in reg.sources if s.url is not None]
    files = sources_to_files(paths)
    if urls:
        with store.connect(db) as con:
            previous = {u: store.fetch_state(con, u) for u in urls}
        futures = [fetch_source.submit(u, raw_dir, previous[u]) for u in urls]
        for url, future in zip(urls, futures, strict=True):
            got = future.result()
            if isinstance(got, errors.DocumentError):
                quarantine_document(db, got, None)
                summary.quarantined.append((url, got.one_line()))
                _log("quarantined", url=url, reason=got.reason, detail=got.detail)
                continue
            with store.connect(db) as con:
                store.save_fetch(con, url, got.etag, got.last_modified, got.sha256, str(got.path))
            _log("fetched", url=url, sha256=got.sha256, changed=got.changed, raw=str(got.path))
            files.append(got.path)
    return files


@flow(name="clsdata-ingest")
def ingest(sources: list[str], db: str = str(store.DEFAULT_DB), registry: str | None = None,
           raw_dir: str = str(DEFAULT_RAW), force: bool = False, rebuild: bool = False) -> RunSummary:
    """The run writes a new generation of the warehouse and publishes it atomically at its end, whether it
    finished or stopped on an error (each document is one transaction; ADR 0012): readers of `db` see the
    previous state until then, never a half-written one, and never block the run."""
    generation = generations.begin(db, rebuild=rebuild)
    try:
        return _ingest(sources, str(generation), registry, raw_dir, force)
    finally:
        generations.publish(generation, db)


def _ingest(sources: list[str], db: str, registry: str | None, raw_dir: str, force: bool) -> RunSummary:
    """The run itself, writing to `db` (the run's generation)."""
    ctx = FlowRunContext.get()
    summary = RunSummary(run_id=str(ctx.flow_run.id) if ctx and ctx.flow_run else uuid.uuid4().hex)
    with store.connect(db) as con:
        store.start_run(con, summary.run_id, EXTRACTOR_VERSION)
        known = store.loaded_documents(con)
        bad = store.quarantined_documents(con)
        reviewed = store.reviewed_paths(con)
    try:
        files = _discover(sources, registry, raw_dir, db, summary)
        _log("discovered", documents=len(files), sources=sources, registry=registry)

        todo: list[tuple[Path, str | None]] = []
        for path in files:
            sha = _sha256(path)
            same = sha is not None and (known.get(sha) == EXTRACTOR_VERSION
                                        or bad.get(str(path)) == (sha, EXTRACTOR_VERSION))
            if same and not force:
                summary.unchanged.append(str(path))
                continue
            if str(path) in reviewed and reviewed[str(path)] != sha:
                summary.needs_review.append(str(path))
                _log("needs-review", sha256=sha, path=str(path), reviewed_sha256=reviewed[str(path)],
                     reason="the document's bytes changed since its gold was reviewed")
            todo.append((path, sha))
        if not todo:
            _log("nothing-changed", unchanged=len(summary.unchanged))

        futures = [extract_document.submit(str(p), sha or f"unreadable:{p}") for p, sha in todo]
        for (path, sha), future in zip(todo, futures, strict=True):
            try:
                result = future.result()
                if isinstance(result, errors.DocumentError) and result.path != str(path):
                    # cached under another name
                    result = errors.DocumentError(str(path), result.reason, result.detail)
                if isinstance(result, errors.DocumentError):
                    quarantine_document(db, result, sha)
                    summary.quarantined.append((str(path), result.one_line()))
                    _log("quarantined", sha256=sha, path=str(path), reason=result.reason, detail=result.detail)
                    continue
                if result.document.path != str(path):  # the same bytes met under another name: cached result
                    document = result.document.model_copy(update={"path": str(path)})
                    result = result.model_copy(update={"document": document})
                if not load_document(db, result):
                    summary.unchanged.append(str(path))
                    _log("kept-reviewed", sha256=sha, path=str(path))
                    continue
                summary.loaded.append(str(path))
                _log("loaded", sha256=sha, path=str(path), territory=result.contract.territory,
                     axes=len(result.axes), actions=len(result.actions))
            except Exception as exc:  # a fault of clsdata or of the machine, not of the document
                summary.failed.append((str(path), f"{type(exc).__name__}: {exc}"[:300]))
                _log("failed", sha256=sha, path=str(path), error=f"{type(exc).__name__}: {exc}"[:300])
    except BaseException as exc:  # discovery or the loop itself broke (a bad registry, Ctrl+C): not 'running'
        with store.connect(db) as con:
            store.finish_run(con, summary.run_id, len(summary.loaded), len(summary.unchanged),
                             len(summary.quarantined), len(summary.failed), aborted=True)
        _log("aborted", run_id=summary.run_id, error=f"{type(exc).__name__}: {exc}"[:300])
        raise

    with store.connect(db) as con:
        store.finish_run(con, summary.run_id, len(summary.loaded), len(summary.unchanged), len(summary.quarantined),
                         len(summary.failed))
    _log("finished", run_id=summary.run_id, loaded=len(summary.loaded), unchanged=len(summary.unchanged),
         quarantined=len(summary.quarantined), failed=len(summary.failed), stale_cache_pruned=prune_extraction_cache())
    return summary


def deployment(sources: list[str], db: str, registry: str | None, cron: str = "0 6 * * 1",
               timezone: str = "Europe/Paris", name: str = "weekly") -> Any:
    """The scheduled deployment `clsdata serve` serves (weekly by default, Paris time)."""
    from prefect.schedules import Cron

    return ingest.to_deployment(name=name, schedule=Cron(cron, timezone=timezone),
                                parameters={"sources": sources, "db": db, "registry": registry},
                                description="Weekly ingest of CLS publications (clsdata).")
