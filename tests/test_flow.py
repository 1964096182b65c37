"""Real Prefect flow runs (temporary server under one session-scoped harness): good and bad files, no-change
re-runs, the sources registry over HTTP, a local Dask cluster, the scheduled deployment."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, FIXTURES
from tests.test_sources_fetch import Server
from warehouse import store

ACTIONS = "SELECT action_id, action_title, years, themes, publics, partners FROM v_actions ORDER BY 1"


def _inbox(tmp_path: Path) -> Path:
    src = tmp_path / "inbox"
    src.mkdir()
    shutil.copy(FIXTURES / "ernee-bocage-mayennais" / "source.pdf", src / "ernee.pdf")
    shutil.copy(FIXTURES / "le-mans-metropole" / "source.html", src / "le-mans.html")
    shutil.copy(DATA / "malformed" / "pdfminer.six--aes-256.pdf", src / "encrypted.pdf")
    (src / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n")  # truncated
    return src


@pytest.mark.flow
def test_ingest_loads_good_documents_quarantines_bad_ones_and_reruns_do_nothing(
        prefect_harness: None, tmp_path: Path) -> None:
    from flows.ingest import ingest

    src = _inbox(tmp_path)
    db = tmp_path / "cls.duckdb"

    summary = ingest([str(src)], str(db), raw_dir=str(tmp_path / "raw"))

    assert sorted(Path(p).name for p in summary.loaded) == ["ernee.pdf", "le-mans.html"]
    assert {Path(p).name for p, _ in summary.quarantined} == {"encrypted.pdf", "broken.pdf"}
    assert summary.failed == [] and summary.unchanged == []
    with store.connect(db) as con:
        quarantine = {Path(p).name: r for p, r, _ in store.quarantined(con)}
        assert quarantine == {"encrypted.pdf": "encrypted PDF", "broken.pdf": "corrupt or truncated PDF"}
        territories = con.execute("SELECT DISTINCT territory FROM v_actions ORDER BY 1").fetchall()
    assert territories == [("Ernée et Bocage mayennais",), ("Le Mans Métropole",)]
    before = store.query(db, ACTIONS)

    again = ingest([str(src)], str(db), raw_dir=str(tmp_path / "raw"))  # nothing changed: nothing extracted
    assert (again.loaded, again.quarantined, again.failed) == ([], [], [])
    assert len(again.unchanged) == 4
    assert store.query(db, ACTIONS) == before

    (src / "ernee.pdf").write_bytes((src / "ernee.pdf").read_bytes() + b"\n% avenant\n")  # republished
    third = ingest([str(src)], str(db), raw_dir=str(tmp_path / "raw"))
    assert [Path(p).name for p in third.loaded] == ["ernee.pdf"] and len(third.unchanged) == 3
    # a re-upload of the same contract (same territory and period): a second publication, not a supersession
    _, rows = store.query(db, "SELECT territory, status, publications FROM contracts WHERE territory LIKE 'Ernée%'")
    assert rows == [("Ernée et Bocage mayennais", "current", 2)]
    _, runs = store.query(db, "SELECT loaded, unchanged, quarantined, failed, status FROM runs ORDER BY started_at")
    assert runs == [(2, 0, 2, 0, "ok"), (0, 4, 0, 0, "ok"), (1, 3, 0, 0, "ok")]


@pytest.mark.flow
def test_registry_urls_are_downloaded_then_fetched_conditionally(prefect_harness: None, tmp_path: Path) -> None:
    from flows.ingest import ingest

    server = Server()
    try:
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        shutil.copy(FIXTURES / "ernee-bocage-mayennais" / "source.pdf", inbox / "ernee.pdf")
        registry = tmp_path / "sources.yaml"
        registry.write_text(f"inbox: inbox/\nsources:\n"
                            f"  - {{territory: Le Mans Métropole, url: '{server.url}/cls.pdf', kind: contract}}\n"
                            f"  - {{territory: Nowhere, url: '{server.url}/missing.pdf'}}\n", encoding="utf-8")
        db, raw = tmp_path / "cls.duckdb", tmp_path / "raw"

        first = ingest([], str(db), str(registry), str(raw))
        assert sorted(Path(p).parent.name != "inbox" for p in first.loaded) == [False, True]
        assert [u for u, _ in first.quarantined] == [f"{server.url}/missing.pdf"]
        assert len(list(raw.glob("*/*.pdf"))) == 1

        second = ingest([], str(db), str(registry), str(raw))
        assert second.loaded == [] and len(second.unchanged) == 2
        assert "If-None-Match" in server.hits["/cls.pdf"][-1]  # the second run asked conditionally (304)
    finally:
        server.httpd.shutdown()


@pytest.mark.flow
def test_a_run_stopped_by_a_bad_registry_is_recorded_aborted_not_left_running(prefect_harness: None,
                                                                                tmp_path: Path) -> None:
    from flows.ingest import ingest
    from pipeline.sources import RegistryError

    db = tmp_path / "cls.duckdb"
    ingest([str(FIXTURES / "ernee-bocage-mayennais" / "source.pdf")], str(db))
    registry = tmp_path / "sources.yaml"
    registry.write_text("sources: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="sources.yaml: not valid YAML"):
        ingest([], str(db), str(registry), str(tmp_path / "raw"))  # refused at start: nothing written
    registry.write_text(f"sources:\n  - path: {tmp_path / 'gone.pdf'}\n", encoding="utf-8")
    (tmp_path / "gone.pdf").write_bytes(b"%PDF-1.7\n")

    def interrupted(jobs: list[object]) -> object:  # Ctrl+C while the run extracts
        raise KeyboardInterrupt
        yield  # a generator, like every extractor

    from clsdata.service import run_ingest
    from clsdata.settings import load

    with pytest.raises(KeyboardInterrupt):
        run_ingest(load(db=db, registry=registry), extractor=interrupted)
    with store.connect(db) as con:
        runs = con.execute("SELECT status, finished_at IS NOT NULL FROM runs ORDER BY started_at").fetchall()
        documents = con.execute("SELECT count(*) FROM documents").fetchone()
    assert runs == [("ok", True), ("aborted", True)]
    assert documents == (1,)  # what the first run loaded is kept


@pytest.mark.flow
def test_a_run_prunes_cached_extractions_of_other_extractor_versions(prefect_harness: None, tmp_path: Path) -> None:
    """Persisted extractions are keyed by (sha256, extractor version, code fingerprint): those of another
    version or fingerprint can never be reused and are deleted; this run's stays for the next run."""
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    from flows.ingest import _extraction_cache_key, ingest
    from pipeline import EXTRACTOR_VERSION

    storage = tmp_path / "storage"
    storage.mkdir()
    stale = [storage / f"clsdata-extract-{'0' * 64}-0.0.1-0123456789abcdef",  # an older extractor
             storage / f"clsdata-extract-{'1' * 64}-{EXTRACTOR_VERSION}-0000000000000000"]  # older code
    other = storage / "not-a-clsdata-result"
    for path in [*stale, other]:
        path.write_text("{}", encoding="utf-8")
    pdf = FIXTURES / "ernee-bocage-mayennais" / "source.pdf"
    with temporary_settings({PREFECT_LOCAL_STORAGE_PATH: storage}):
        ingest([str(pdf)], str(tmp_path / "cls.duckdb"))
    assert not any(p.exists() for p in stale) and other.exists()
    assert (storage / _extraction_cache_key(None, {"sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()})).exists()


@pytest.mark.flow
def test_a_local_dask_cluster_builds_the_same_warehouse(prefect_harness: None, tmp_path: Path) -> None:
    from flows.ingest import ingest, task_runner

    src = _inbox(tmp_path)
    shutil.copy(FIXTURES / "est-cantal" / "source.pdf", src / "est-cantal.pdf")
    threads, dask = tmp_path / "threads.duckdb", tmp_path / "dask.duckdb"
    ingest.with_options(task_runner=task_runner(1))([str(src)], str(threads), raw_dir=str(tmp_path / "raw"))
    summary = ingest.with_options(task_runner=task_runner(2))([str(src)], str(dask), raw_dir=str(tmp_path / "raw"),
                                                              force=True)
    assert len(summary.loaded) == 3 and summary.failed == []
    for sql in (ACTIONS, "SELECT * FROM v_theme_coverage ORDER BY ALL",
                "SELECT path, reason FROM quarantine ORDER BY 1"):
        assert store.query(dask, sql) == store.query(threads, sql)


@pytest.mark.flow
def test_the_weekly_deployment_registers_with_its_schedule_and_a_triggered_run_completes(
        prefect_harness: None, tmp_path: Path) -> None:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.runner import Runner

    from flows.ingest import deployment

    src = tmp_path / "inbox"
    src.mkdir()
    shutil.copy(FIXTURES / "le-mans-metropole" / "source.html", src / "le-mans.html")
    db = tmp_path / "cls.duckdb"
    dep = deployment([str(src)], str(db), None)

    async def scenario() -> str:
        runner = Runner(name="clsdata-test")
        deployment_id = await runner.add_deployment(dep)
        async with get_client() as client:
            registered = await client.read_deployment(deployment_id)
        schedule = registered.schedules[0].schedule
        assert (schedule.cron, schedule.timezone) == ("0 6 * * 1", "Europe/Paris")
        flow_run = await run_deployment(f"clsdata-ingest/{dep.name}", timeout=0)
        await runner.execute_flow_run(flow_run.id)
        async with get_client() as client:
            done = await client.read_flow_run(flow_run.id)
        return str(done.state.type.value) if done.state else "none"

    assert asyncio.run(scenario()) == "COMPLETED"
    _, rows = store.query(db, "SELECT DISTINCT territory FROM v_actions")
    assert rows == [("Le Mans Métropole",)]
