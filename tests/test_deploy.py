"""Issue #18, item 2: the README's production route as an operator follows it, for real: `prefect server start`
on a free loopback port, `clsdata deploy` from the repository (prefect.yaml's deployment and its work pool,
through Prefect's Python client: Prefect 3.8.8's `prefect deploy` ends with a 422 from its own server, ADR 0013),
`prefect deployment run`, and a process worker started in another folder, with no CLSDATA_* variable in its
environment; the run completes and loads the fixtures (relative paths resolve from the deployment's working
directory).

Marked `prefect_server`: 77 s measured on a shared 2-core machine (server start, deploy, a worker's flow run over
the fixtures); CI runs it with the rest (`make test`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES, ROOT
from warehouse import store

PREFECT = str(Path(sys.executable).parent / "prefect")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.prefect_server
def test_the_work_pool_route_of_the_readme_completes_a_run(tmp_path: Path) -> None:
    started = time.monotonic()
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLSDATA_", "PREFECT_"))}
    env.update({"PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_API_URL": api, "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}"})
    server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=server_env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    worker: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "prefect server start did not answer"
            time.sleep(0.5)

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            proc = subprocess.run(list(args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
            return proc

        deployed = run(sys.executable, "-m", "clsdata.cli", "deploy")  # the work pool too: it does not exist yet
        assert deployed.stdout.startswith("deployed clsdata-ingest/weekly")

        # The fixtures into a warehouse outside the repository; `sources` relative: resolved from the working
        # directory the deployment records (the repository), not from wherever the worker runs.
        db = tmp_path / "cls.duckdb"
        params = json.dumps({"sources": ["fixtures"], "registry": None, "db": str(db),
                             "raw_dir": str(tmp_path / "raw")})
        triggered = run(PREFECT, "deployment", "run", "clsdata-ingest/weekly", "--params", params)
        flow_run_id = re.search(r"flow-run/([0-9a-f-]{36})", triggered.stdout).group(1)  # type: ignore[union-attr]

        worker_dir = tmp_path / "elsewhere"
        worker_dir.mkdir()
        worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "clsdata", "--run-once"], env=env,
                                  cwd=worker_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output, _ = worker.communicate(timeout=900)
        state = httpx.get(f"{api}/flow_runs/{flow_run_id}", timeout=10).json()["state"]
        assert state["type"] == "COMPLETED", output[-4000:]
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    expected = {p.parent.name for p in FIXTURES.glob("*/source.*") if p.suffix in {".pdf", ".html"}}
    _, rows = store.query(db, "SELECT path FROM documents")
    loaded = {Path(r[0]).parent.name for r in rows}
    _, quarantined = store.query(db, "SELECT path FROM quarantine")
    assert loaded | {Path(r[0]).parent.name for r in quarantined} == expected
    assert all(Path(r[0]).is_absolute() and Path(r[0]).is_relative_to(ROOT / "fixtures") for r in rows)
    assert len(loaded) >= len(expected) - 2  # overview pages and the like may be quarantined, with a reason
    _, runs = store.query(db, "SELECT status FROM runs")
    assert runs == [("ok",)]
    print(json.dumps({"prefect_server_e2e_seconds": round(time.monotonic() - started, 1)}))
    shutil.rmtree(tmp_path / "prefect-home", ignore_errors=True)
