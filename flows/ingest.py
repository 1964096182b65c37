"""Prefect over the ingest service (clsdata/service.py): thin adapters, and the only place importing prefect.

- `ingest`: the deployment's flow (prefect.yaml's `weekly` on a work pool, `clsdata serve`'s `serve-weekly`).
  It builds Settings from its parameters and the environment, paths resolved from the flow run's working
  directory (the repository: prefect.yaml's deployment records where `prefect deploy` ran), and calls
  `run_ingest` with extraction on the flow's task runner. The service takes the run lock: a scheduled run
  that meets a manual run fails with the holder named, writing nothing.
- `prefect_extractor`: what `clsdata run` hands the service. The service plans first; only when documents
  must be extracted does it call this, which starts Prefect then (a temporary local server when
  PREFECT_API_URL is unset, killed with its parent even on SIGKILL) and runs the flow `clsdata-extract`.
- `task_runner`: threads, a local Dask cluster, or an existing one; Dask workers are warmed (the extraction
  stack imported, spaCy's model loaded) before their first task.
- extraction results are cached by Prefect on (sha256, extractor version, code fingerprint).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.context import FlowRunContext  # noqa: E402

from clsdata import settings as clsdata_settings  # noqa: E402
from clsdata.service import Extractor, Job, Result, RunSummary, run_ingest  # noqa: E402
from pipeline import EXTRACTOR_VERSION, errors  # noqa: E402
from pipeline.extract import file_to_extraction  # noqa: E402
from schemas.extraction import ContractExtraction  # noqa: E402

__all__ = ["RunSummary", "code_fingerprint", "deployment", "ingest", "prefect_extractor", "prune_extraction_cache",
           "task_runner"]
POOL_DEPLOYMENT = "weekly"  # prefect.yaml, on the work pool `clsdata`
SERVE_DEPLOYMENT = "serve-weekly"  # clsdata serve (distinct: one never replaces the other)


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


# --- Dask: warm workers --------------------------------------------------------------------------------------

def _warm_plugin() -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class WarmUp(WorkerPlugin):  # type: ignore[misc]
        """Runs on every worker of the cluster (present and future) before it takes a task: imports the
        extraction stack and loads spaCy's model once (~60 s of a cold worker's first task otherwise)."""

        name = "clsdata-warm-up"

        def setup(self, worker: Any) -> None:
            from pipeline.extract import warm_up

            warm_up()

    return WarmUp()


def _dask_runner_class() -> Any:
    from prefect_dask import DaskTaskRunner

    class WarmDaskTaskRunner(DaskTaskRunner):  # type: ignore[misc]
        """Prefect's DaskTaskRunner whose client registers the warm-up plugin on the cluster first."""

        @property
        def client(self) -> Any:
            fresh = self._client is None
            client = super().client
            if fresh:
                client.register_plugin(_warm_plugin(), name="clsdata-warm-up")
            return client

    return WarmDaskTaskRunner


def task_runner(workers: int = 0, dask_address: str | None = None) -> Any:
    """Threads in this process (default), a local Dask cluster of `workers` processes, or an existing cluster;
    Dask workers are warmed before their first task."""
    if dask_address or workers > 1:
        runner = _dask_runner_class()
        if dask_address:
            return runner(address=dask_address)
        return runner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                      "dashboard_address": None})
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=max(workers, 1))


# --- tasks and flows -----------------------------------------------------------------------------------------

@task(name="extract-document", task_run_name="extract {path}", cache_key_fn=_extraction_cache_key,
      persist_result=True)
def extract_document(path: str, sha256: str) -> ContractExtraction | errors.DocumentError:
    try:
        return file_to_extraction(Path(path))
    except errors.DocumentError as exc:
        return exc


def submit_extractions(jobs: list[Job]) -> Iterator[tuple[Job, Result]]:
    """Inside a flow: every job submitted to the flow's task runner; results yielded in the jobs' order (the
    warehouse is the same whatever the runner)."""
    futures = [extract_document.submit(str(path), sha) for path, sha in jobs]
    for job, future in zip(jobs, futures, strict=True):
        try:
            yield job, future.result()
        except Exception as exc:  # the task itself failed (a worker died, a bug): not the document's fault
            yield job, exc


def _events() -> Any:
    logger = get_run_logger()

    def emit(event: str, **fields: Any) -> None:
        logger.info(json.dumps({"event": event, **fields}, ensure_ascii=False, default=str))

    return emit


@flow(name="clsdata-ingest")
def ingest(sources: list[str] | None = None, db: str | None = None, registry: str | None = None,
           raw_dir: str | None = None, force: bool = False, rebuild: bool = False,
           wait: float | None = None) -> RunSummary:
    """The ingest run as a Prefect flow (deployments). Parameters left empty come from the environment
    (CLSDATA_*) and the defaults; relative paths are resolved from this flow run's working directory. The run
    writes a new generation of the warehouse, published at its end (ADR 0012)."""
    settings = clsdata_settings.load(sources=tuple(sources) if sources else None, db=db, registry=registry,
                                     raw_dir=raw_dir, force=force or None, rebuild=rebuild or None,
                                     wait=wait).resolve()
    ctx = FlowRunContext.get()
    run_id = str(ctx.flow_run.id) if ctx and ctx.flow_run else None
    name = ctx.flow_run.name if ctx and ctx.flow_run else "?"
    summary = run_ingest(settings, extractor=submit_extractions, events=_events(), run_id=run_id,
                         holder=f"Prefect flow run {name}")
    get_run_logger().info(json.dumps({"event": "cache-pruned", "stale": prune_extraction_cache()}))
    return summary


# --- `clsdata run`: Prefect only when there is something to extract ------------------------------------------

def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the temporary server gets SIGTERM when its parent dies, even by SIGKILL (no orphan server)."""
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def temporary_server(timeout_s: float = 120.0) -> Iterator[str]:
    """A Prefect API server on a free loopback port for this process only (what Prefect's own temporary server
    does, except that it dies with its parent: a killed run leaves no server behind). Yields its API URL."""
    import httpx
    from prefect.settings import get_current_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True),
           "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    env.pop("PREFECT_API_URL", None)
    import prefect

    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent),
                             "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "error", "--lifespan", "on"],
                            env=env, preexec_fn=_die_with_parent if sys.platform == "linux" else None)  # noqa: PLW1509
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout_s
        with httpx.Client() as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the temporary Prefect server exited with code {proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the temporary Prefect server did not answer within {timeout_s:g} s")
                time.sleep(0.1)
        yield url
    finally:
        with contextlib.suppress(Exception):  # the run's last log lines, before their server goes
            from prefect.logging.handlers import APILogHandler

            APILogHandler().flush()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def prefect_extractor(workers: int = 1, dask_address: str | None = None) -> Extractor:
    """An Extractor for the service that runs the flow `clsdata-extract` on the chosen task runner, under a
    Prefect server (PREFECT_API_URL, else a temporary one started now). The flow runs in a thread of this
    process and hands results over one by one; the service loads them in its own thread, so Ctrl+C reaches
    the service at once (the run is recorded 'aborted' and the process ends)."""

    def extract(jobs: list[Job]) -> Iterator[tuple[Job, Result]]:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        results: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        @flow(name="clsdata-extract", task_runner=task_runner(workers, dask_address), log_prints=False)
        def extract_flow(paths: list[str]) -> int:
            for job, result in submit_extractions(jobs):
                if stop.is_set():
                    break
                results.put(("result", (job, result)))
            return prune_extraction_cache()

        def body() -> None:
            try:
                extract_flow([str(p) for p, _ in jobs])
            except BaseException as exc:  # handed to the service's thread
                results.put(("error", exc))
            finally:
                results.put(("done", None))

        with contextlib.ExitStack() as stack:
            if not os.environ.get("PREFECT_API_URL"):
                url = stack.enter_context(temporary_server())
                stack.enter_context(temporary_settings({PREFECT_API_URL: url}))
            context = contextvars.copy_context()
            thread = threading.Thread(target=context.run, args=(body,), name="clsdata-extract-flow", daemon=True)
            thread.start()
            try:
                while True:
                    try:
                        kind, value = results.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    if kind == "result":
                        yield value
                    elif kind == "error":
                        raise value
                    else:
                        break
            finally:
                stop.set()
            thread.join()

    return extract


def deployment(sources: list[str], db: str | None, registry: str | None, cron: str = "0 6 * * 1",
               timezone: str = "Europe/Paris", name: str = SERVE_DEPLOYMENT) -> Any:
    """The scheduled deployment `clsdata serve` serves (weekly by default, Paris time), with absolute paths."""
    from prefect.schedules import Cron

    return ingest.to_deployment(name=name, schedule=Cron(cron, timezone=timezone),
                                parameters={"sources": sources, "db": db, "registry": registry},
                                description="Weekly ingest of CLS publications (clsdata serve).")
