"""`clsdata`: extract one document, run the ingest flow, query the warehouse."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from clsdata.settings import Settings, SettingsError
from clsdata.settings import load as load_settings
from pipeline import errors

DB_OPTION = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                         help="DuckDB warehouse file.  [default: $CLSDATA_DB or warehouse/cls.duckdb]")


def _fail(message: str) -> None:
    click.echo(f"clsdata: {message}", err=True)
    sys.exit(2)


def _settings(**overrides: Any) -> Settings:
    """The environment's settings with the command's options on top; a bad variable is one line, exit 2."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        _fail(str(exc))
        raise  # unreachable


def _check_rules() -> None:
    from pipeline.rules import RuleFileError, check_rules

    try:
        check_rules()
    except RuleFileError as exc:
        _fail(str(exc))


def _on_sigterm(signum: int, frame: Any) -> None:
    from clsdata.service import Stop

    raise Stop(f"signal {signum}")


def _table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


@click.group()
@click.version_option(package_name="clsdata")
def main() -> None:
    """clsdata: French Contrats Locaux de Santé (CLS) from published documents to a DuckDB warehouse.

    \b
    Example:
      clsdata run --source fixtures && clsdata query "select territory, count(*) from v_actions group by 1"
    """


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "yaml", "text"]), default="json", show_default=True)
def extract(path: Path, fmt: str) -> None:
    """Extract one PDF (or HTML page) and print the result.

    The JSON output follows schemas/contract_extraction.schema.json.

    \b
    Example:
      clsdata extract fixtures/ernee-bocage-mayennais/source.pdf --format text
    """
    from pipeline.extract import file_to_extraction

    _settings()
    _check_rules()
    try:
        result = file_to_extraction(path)
    except errors.DocumentError as exc:
        _fail(exc.one_line())
        return
    if fmt == "json":
        click.echo(result.model_dump_json(indent=2))
    elif fmt == "yaml":
        click.echo(yaml.safe_dump(result.model_dump(mode="json"), allow_unicode=True, sort_keys=False))
    else:
        c = result.contract
        click.echo(f"{result.document.path} [{c.document_kind}] {c.territory or '-'} "
                   f"{c.period_start or '?'}-{c.period_end or '?'} signed {c.signed_on or '-'}")
        for axis in result.axes:
            click.echo(f"Axe {axis.number}: {axis.title}  (p.{axis.page})")
            for o in (o for o in result.objectives if o.axis == axis.number):
                click.echo(f"  Objectif {o.number or '-'}: {o.title}")
                for a in (a for a in result.actions if a.objective == o.title and a.axis == axis.number):
                    click.echo(f"    - {a.number or '-'} {a.title} {a.years or ''}")
            for a in (a for a in result.actions if a.axis == axis.number and a.objective is None):
                click.echo(f"  - Action {a.number or '-'}: {a.title} {a.years or ''}")
        for a in (a for a in result.actions if a.axis is None):
            click.echo(f"- Action {a.number or '-'}: {a.title} {a.years or ''}")
        for w in result.warnings:
            click.echo(f"warning {w.code}: {w.message}")


@main.command()
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path), default=None,
              help="Folder (searched recursively) or file; repeat for several. Default: fixtures, unless "
                   "--registry is given.")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Sources registry (sources.yaml): publications by URL or path, and an inbox folder.")
@DB_OPTION
@click.option("--raw", "raw_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Content-addressed store of downloaded files.  [default: $CLSDATA_RAW_DIR or raw]")
@click.option("--workers", type=int, default=None,
              help="Extraction processes: >1 starts a local Dask cluster of that many worker processes.  "
                   "[default: $CLSDATA_WORKERS or 1]")
@click.option("--dask-address", default=None, help="Run extraction on an existing Dask cluster (tcp://host:8786).")
@click.option("--wait", type=float, default=None,
              help="Seconds to wait when another run holds the warehouse.  [default: 0]")
@click.option("--force", is_flag=True, default=None, help="Extract every document again, changed or not.")
@click.option("--rebuild", is_flag=True, default=None,
              help="Build the warehouse anew from the documents (the old one stays readable until the new one is "
                   "published).")
def run(sources: tuple[Path, ...], registry: Path | None, db: Path | None, raw_dir: Path | None,
        workers: int | None, dask_address: str | None, wait: float | None, force: bool | None,
        rebuild: bool | None) -> None:
    """Ingest: new and changed documents are extracted and loaded, the rest is left alone.

    The plan (each file's sha256 against the warehouse) comes first: when nothing changed, the run says so
    and is recorded at once, without Prefect. Otherwise extraction runs in a Prefect flow; without
    PREFECT_API_URL a temporary local server starts for the run. Ctrl+C stops the run (recorded 'aborted').
    Exit status: 0 when every document was loaded, unchanged or quarantined (with its reason); 1 when a
    document failed for another reason; 2 on bad arguments, settings or registry, a busy or damaged
    warehouse; 130 when interrupted.

    \b
    Example:
      clsdata run --source fixtures --db warehouse/cls.duckdb
      clsdata run --registry sources.yaml --workers 2
    """
    import signal

    from clsdata import service
    from pipeline.rules import RuleFileError
    from pipeline.sources import RegistryError
    from warehouse import store
    from warehouse.lock import WarehouseBusy

    settings = _settings(sources=tuple(sources) or None, registry=registry, db=db, raw_dir=raw_dir,
                         workers=workers, dask_address=dask_address, wait=wait, force=force, rebuild=rebuild)
    if not settings.sources and settings.registry is None:
        settings = settings.model_copy(update={"sources": (Path("fixtures"),)})
    missing = [s for s in (*settings.sources, *([settings.registry] if settings.registry else []))
               if not os.path.lexists(s)]
    if missing:
        _fail(f"{missing[0]}: {errors.MISSING}")

    def extractor(jobs: list[Any]) -> Any:
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        from flows.ingest import prefect_extractor

        return prefect_extractor(settings.workers, settings.dask_address)(jobs)

    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        result = service.run_ingest(settings, extractor=extractor)
    except (WarehouseBusy, store.WarehouseError, RegistryError, RuleFileError) as exc:
        _fail(str(exc))
        return
    except (KeyboardInterrupt, service.Stop) as exc:
        why = "interrupted (Ctrl+C)" if isinstance(exc, KeyboardInterrupt) else f"stopped ({exc})"
        click.echo(f"clsdata: run {why}: recorded 'aborted' in {settings.db}; what it loaded is kept", err=True)
        sys.exit(130)
    db_path = settings.db
    if result.aborted_before:
        click.echo(f"{result.aborted_before} earlier run(s) found 'running' (their process died): recorded 'aborted'")
    for path in result.missing:
        click.echo(f"source gone: {path} (loaded before, its file is no longer there; its rows are kept)")
    if result.nothing_changed:
        click.echo(f"this run: {result.line()} (nothing changed: no extraction)")
        return
    with store.connect(db_path, read_only=True) as con:
        columns, rows = store.summary(con)
        unread = store.pages_not_from_text(con, result.loaded)
    click.echo("")
    click.echo(_table(columns, rows))
    if unread:
        click.echo(f"\npages without a usable text layer in this run ({len(unread)}; method, why):")
        for path, page, method, reason, confidence in unread:
            shown = f", confidence {confidence:.0f}" if confidence is not None else ""
            click.echo(f"  {path} p.{page}: {method}{shown} ({reason})")
    readings = [r for r in rows if r[8] == "reading"]
    totals = [sum(r[i] for r in readings) for i in (3, 4, 5)]
    click.echo(f"\n{len(rows)} documents publishing {len(readings)} contracts "
               f"({len({r[2] for r in readings if r[1] == 'contract'})} territories): {totals[0]} axes, "
               f"{totals[1]} objectives, {totals[2]} actions read from each contract's best publication in {db_path}")
    for path in result.needs_review:
        click.echo(f"needs review again: {path} (its bytes changed since its gold was reviewed)")
    for title, items in (("quarantined", result.quarantined), ("failed", result.failed)):
        if items:
            click.echo(f"\n{title} in this run ({len(items)}):")
            for _, reason in items:
                click.echo(f"  {reason}")
    click.echo(f"this run: {result.line()}")
    if result.failed:
        sys.exit(1)


@main.command()
@DB_OPTION
@click.option("--runs", "limit", type=int, default=10, show_default=True, help="How many recent runs to show.")
def status(db: Path | None, limit: int) -> None:
    """Show the last runs, the quarantine, the contracts without an official territory and the sources whose
    files are gone (the warehouse is verified first: a damaged file is one line naming --rebuild).

    \b
    Example:
      clsdata status --runs 5
    """
    from warehouse import geo, store

    db = _settings(db=db).db
    try:
        with store.connect(db, read_only=True) as con:
            store.verify(con, db)
            columns, rows = store.last_runs(con, limit)
            quarantine = store.quarantined(con)
            gone = store.missing_sources(con)
            unresolved = geo.unresolved(con)
    except store.WarehouseError as exc:
        _fail(str(exc))
        return
    click.echo(_table(columns, rows) if rows else "no runs yet")
    click.echo(f"\nquarantine ({len(quarantine)}):")
    for path, reason, detail in quarantine:
        click.echo(f"  {path}: {reason}" + (f" ({detail})" if detail else ""))
    click.echo(f"\ncontracts without an official territory ({len(unresolved)}; choose on the review page, "
               f"'Territoires', or in territories.yaml):")
    for contract_id, _territory, match, reason, candidates in unresolved:
        click.echo(f"  {contract_id}: {match}: {reason}")
        for candidate in candidates or []:
            click.echo(f"      candidate {candidate}")
    if gone:
        click.echo(f"\nsources gone ({len(gone)}; loaded before, their files are no longer there, rows kept):")
        for path, contract_status, noticed in gone:
            click.echo(f"  {path}: contract {contract_status}, missing since {noticed:%Y-%m-%d %H:%M}")


@main.command()
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path), default=None,
              help="Folder or file to ingest on each run (repeatable).")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Sources registry (sources.yaml).")
@DB_OPTION
@click.option("--cron", default="0 6 * * 1", show_default=True, help="Schedule (cron), default Mondays 06:00.")
@click.option("--timezone", default="Europe/Paris", show_default=True)
@click.option("--name", default="serve-weekly", show_default=True,
              help="Deployment name (prefect.yaml's work-pool deployment is `weekly`: the two never replace "
                   "each other).")
def serve(sources: tuple[Path, ...], registry: Path | None, db: Path | None, cron: str, timezone: str,
          name: str) -> None:
    """Serve the ingest flow as a scheduled Prefect deployment clsdata-ingest/serve-weekly (runs until stopped).

    Needs a Prefect server (PREFECT_API_URL), e.g. `prefect server start` in another shell. Paths are made
    absolute here, so runs find the same files and warehouse whatever their directory. Each run goes through
    the ingest service (the run lock: a run meeting another fails naming it). For work pools, see prefect.yaml.

    \b
    Example:
      clsdata serve --registry sources.yaml --cron "0 6 * * 1" --timezone Europe/Paris
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    settings = _settings(sources=tuple(sources) or None, registry=registry, db=db)
    if not settings.sources and settings.registry is None:
        settings = settings.model_copy(update={"sources": (Path("fixtures"),)})
    settings = settings.resolve()
    _check_rules()
    if settings.registry is not None:
        from pipeline.sources import RegistryError, registry_to_sources

        try:
            registry_to_sources(settings.registry)
        except RegistryError as exc:
            _fail(str(exc))
    if not os.environ.get("PREFECT_API_URL"):
        _fail("PREFECT_API_URL is not set: start a server (`prefect server start`) and export "
              "PREFECT_API_URL=http://127.0.0.1:4200/api")
    from prefect import serve as prefect_serve

    from flows.ingest import deployment

    prefect_serve(deployment([str(s) for s in settings.sources], str(settings.db),
                             str(settings.registry) if settings.registry else None, cron, timezone, name))


@main.command()
@click.option("--file", "prefect_yaml", type=click.Path(dir_okay=False, path_type=Path), default=Path("prefect.yaml"),
              show_default=True, help="The Prefect project file whose deployments to register.")
def deploy(prefect_yaml: Path) -> None:
    """Register prefect.yaml's deployments (clsdata-ingest/weekly) and create their work pool if missing.

    What `prefect deploy --all` does, through Prefect's Python client: Prefect 3.8.8's CLI ends that command
    with a 422 from its own server (ADR 0013). Runs work in the folder of prefect.yaml. Needs PREFECT_API_URL.

    \b
    Example:
      clsdata deploy && prefect worker start --pool clsdata
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not os.environ.get("PREFECT_API_URL"):
        _fail("PREFECT_API_URL is not set: start a server (`prefect server start`) and export "
              "PREFECT_API_URL=http://127.0.0.1:4200/api")
    _check_rules()
    from flows.deploy import DeployError
    from flows.deploy import deploy as deploy_yaml

    try:
        names = deploy_yaml(prefect_yaml)
    except DeployError as exc:
        _fail(str(exc))
        return
    for name in names:
        click.echo(f"deployed {name} (work pool and schedule from {prefect_yaml}; runs in "
                   f"{prefect_yaml.resolve().parent})")


@main.command()
@click.argument("sql")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def query(sql: str, db: Path | None, fmt: str) -> None:
    """Run one read-only SQL statement (a SELECT) on the warehouse, and only on it.

    No other file, no network, no extension, no setting can be reached from the query; it stops after
    CLSDATA_QUERY_TIMEOUT seconds (60) or at CLSDATA_QUERY_MEMORY_MB (2048) with a message; Ctrl+C stops it.

    \b
    Example:
      clsdata query "select territory, count(*) as actions from v_actions group by 1" --format csv
    """
    from warehouse import store
    from warehouse.store import WarehouseError

    settings = _settings(db=db)
    try:
        columns, rows = store.query(settings.db, sql, timeout_s=settings.query_timeout,
                                    memory_mb=settings.query_memory_mb)
    except WarehouseError as exc:
        _fail(str(exc))
        return
    except KeyboardInterrupt:
        click.echo("clsdata: query interrupted (Ctrl+C)", err=True)
        sys.exit(130)
    if fmt == "table":
        click.echo(_table(columns, rows))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(columns)
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
    else:
        click.echo(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str, ensure_ascii=False,
                              indent=2))


@main.command(name="export")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--with-contacts", is_flag=True, help="Also export `contacts` (names, e-mails, phone numbers).")
def export_cmd(out_dir: Path, db: Path | None, fmt: str, with_contacts: bool) -> None:
    """Export every table and analyst view (Parquet, v_actions partitioned by département; or CSV).

    Personal data (the `contacts` table) is left out unless --with-contacts is given.

    \b
    Example:
      clsdata export exports/ --format parquet && duckdb -c "select * from 'exports/v_actions/*/*.parquet'"
    """
    from warehouse import store

    db = _settings(db=db).db
    try:
        written = store.export(db, out_dir, fmt, with_contacts=with_contacts)
    except store.WarehouseError as exc:
        _fail(str(exc))
        return
    click.echo(f"{len(written)} tables and views written to {out_dir} ({fmt})")


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@DB_OPTION
def report(out_dir: Path, db: Path | None) -> None:
    """Write a static HTML report of the warehouse (open OUT_DIR/index.html in any browser; no server).

    National coverage by région, ARS socle gaps by territory, actions per year and theme, and one page per
    contract (axes > actions, partners, publics, publications and provenance links). Charts are inline SVG.

    \b
    Example:
      clsdata report report/ && chromium report/index.html
    """
    from report.build import warehouse_to_report
    from warehouse import store

    try:
        written = warehouse_to_report(_settings(db=db).db, out_dir)
    except store.WarehouseError as exc:
        _fail(str(exc))
        return
    click.echo(f"{len(written)} pages written to {out_dir} (open {out_dir / 'index.html'})")


@main.group(invoke_without_command=True)
@click.option("--fixtures", "fixtures_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("fixtures"),
              show_default=True, help="Folder of fixtures (<slug>/source.pdf|html, gold.yaml, provenance.yaml).")
@click.option("--port", type=int, default=8765, show_default=True)
@DB_OPTION
@click.pass_context
def review(ctx: click.Context, fixtures_dir: Path, port: int, db: Path | None) -> None:
    """Serve the review page on 127.0.0.1 (correct extraction fixtures in a browser; saving writes gold.yaml).

    \b
    Example:
      clsdata review --fixtures fixtures --port 8765     # then open http://127.0.0.1:8765
      clsdata review diff ernee-bocage-mayennais
      clsdata review apply ernee-bocage-mayennais --db warehouse/cls.duckdb
    """
    ctx.ensure_object(dict)
    ctx.obj["fixtures"] = fixtures_dir
    if ctx.invoked_subcommand is not None:
        return
    if not fixtures_dir.is_dir():
        _fail(f"{fixtures_dir}: {errors.MISSING}")
    import uvicorn

    from review.app import create_app

    click.echo(f"clsdata review: http://127.0.0.1:{port} (Ctrl+C to stop)")
    settings = _settings(db=db)
    uvicorn.run(create_app(fixtures_dir, settings.db, max_body_kb=settings.review_max_body_kb), host="127.0.0.1",
                port=port, log_level="warning")


def _fixture(ctx: click.Context, slug: str) -> tuple[Path, Path]:
    folder = Path(ctx.obj["fixtures"]) / slug
    source = next((folder / n for n in ("source.pdf", "source.html") if (folder / n).exists()), None)
    if source is None or not (folder / "gold.yaml").exists():
        _fail(f"{folder}: no fixture there (needs source.pdf or source.html and gold.yaml)")
    assert source is not None
    return folder, source


@review.command(name="diff")
@click.argument("slug")
@click.pass_context
def review_diff(ctx: click.Context, slug: str) -> None:
    """Print the differences between the current extraction and the gold of one fixture.

    \b
    Example:
      clsdata review diff ernee-bocage-mayennais
    """
    from pipeline.evaluate import score_document
    from pipeline.extract import file_to_extraction
    from schemas.gold import Gold

    folder, source = _fixture(ctx, slug)
    try:
        got = file_to_extraction(source)
    except errors.DocumentError as exc:
        _fail(exc.one_line())
        return
    score = score_document(slug, Gold.from_file(folder / "gold.yaml"), got)
    if not score.misses:
        click.echo(f"{slug}: the extraction agrees with the gold")
    for miss in score.misses:
        click.echo(miss)


@review.command(name="apply")
@click.argument("slug")
@DB_OPTION
@click.pass_context
@click.option("--wait", type=float, default=None, help="Seconds to wait when a run holds the warehouse.")
def review_apply(ctx: click.Context, slug: str, db: Path | None, wait: float | None) -> None:
    """Load a fixture's reviewed gold into the warehouse in place of the machine's items (origin 'reviewed').

    A later run does not overwrite them unless the document's bytes change.

    \b
    Example:
      clsdata review apply ernee-bocage-mayennais --db warehouse/cls.duckdb
    """
    import yaml as pyyaml

    from clsdata import service
    from pipeline.extract import file_to_extraction
    from review.apply import gold_to_extraction
    from schemas.gold import Gold, review_status
    from warehouse import store
    from warehouse.lock import WarehouseBusy

    settings = _settings(db=db, wait=wait)
    _check_rules()
    folder, source = _fixture(ctx, slug)
    if review_status(folder) != "reviewed":
        _fail(f"{folder}: the gold is not marked reviewed (review it first: clsdata review)")
    provenance = pyyaml.safe_load((folder / "provenance.yaml").read_text(encoding="utf-8")) or {}
    try:
        machine = file_to_extraction(source)
    except errors.DocumentError as exc:
        _fail(exc.one_line())
        return
    reviewed = gold_to_extraction(Gold.from_file(folder / "gold.yaml"), machine, str(provenance["reviewer"]))
    try:
        service.apply_review(settings, reviewed, str(provenance["reviewer"]), provenance.get("reviewed_on"))
    except (store.WarehouseError, WarehouseBusy) as exc:
        _fail(str(exc))
    click.echo(f"{slug}: {len(reviewed.axes)} axes, {len(reviewed.actions)} actions loaded as reviewed by "
               f"{provenance['reviewer']} into {settings.db}")


@main.command()
@click.option("--docs", type=int, default=200, show_default=True)
@click.option("--pages", type=int, default=40, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("bench/corpus"),
              show_default=True)
@click.option("--fixtures", "fixtures_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("fixtures"),
              show_default=True)
def synth(docs: int, pages: int, seed: int, out_dir: Path, fixtures_dir: Path) -> None:
    """Write a deterministic synthetic corpus of CLS PDFs assembled from the fixtures' pages (benchmarks).

    \b
    Example:
      clsdata synth --docs 200 --pages 40 --seed 1 --out bench/corpus
    """
    from pipeline.synth import synth_corpus

    written = synth_corpus(fixtures_dir, out_dir, docs, pages, seed)
    click.echo(f"{len(written)} documents of {pages} pages written to {out_dir}")


@main.command(name="eval")
@click.option("--fixtures", "fixtures_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("fixtures"),
              show_default=True, help="Folder of fixtures (<slug>/gold.yaml + source.pdf|html).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--mode", type=click.Choice(["strict", "soft", "levenshtein", "ratcliff"]), default=None,
              help="Title matching mode (default: the one in eval-thresholds.yaml, else soft).")
@click.option("--thresholds", type=click.Path(dir_okay=False, path_type=Path), default=Path("eval-thresholds.yaml"),
              show_default=True, help="Minimum micro F1 per field; exit status 1 when a score is below.")
def evaluate(fixtures_dir: Path, fmt: str, mode: str | None, thresholds: Path) -> None:
    """Score extraction against every reviewed gold.yaml (precision, recall, F1 per field).

    \b
    Example:
      clsdata eval --fixtures fixtures --format table
    """
    from pipeline.evaluate import FIELDS, DocumentScore, Report, first_reads_to_rows, score_document
    from pipeline.extract import file_to_extraction
    from schemas.gold import Gold, review_status

    limits: dict[str, float] = {}
    ocr_limits: dict[str, float] = {}
    if thresholds.exists():
        config = yaml.safe_load(thresholds.read_text(encoding="utf-8")) or {}
        limits = {str(k): float(v) for k, v in (config.get("thresholds") or {}).items()}
        ocr_limits = {str(k): float(v) for k, v in (config.get("ocr_thresholds") or {}).items()}
        mode = mode or config.get("mode")
    mode = mode or "soft"
    golds = sorted(fixtures_dir.glob("*/gold.yaml"))
    if not golds:
        _fail(f"{fixtures_dir}: no */gold.yaml to evaluate against")
    scores: list[DocumentScore] = []
    ocr_scores: list[DocumentScore] = []  # documents with at least one page read by OCR: reported apart
    ocr_pages: dict[str, str] = {}
    for gold_path in golds:
        gold = Gold.from_file(gold_path)
        for source in sorted(p for p in gold_path.parent.glob("source.*") if p.suffix in {".pdf", ".html"}):
            name = f"{gold_path.parent.name}/{source.name}"
            try:
                got = file_to_extraction(source)
            except errors.DocumentError as exc:
                _fail(f"{exc.one_line()} (fixture {name})")
                return
            read = [p for p in got.pages if p.method == "ocr" and p.words]
            if read:
                ocr_pages[name] = ", ".join(f"p.{p.page} ({p.ocr_confidence:.0f})" for p in read
                                            if p.ocr_confidence is not None)
                ocr_scores.append(score_document(name, gold, got, mode))
            else:
                scores.append(score_document(name, gold, got, mode))
    groups = [("text-layer documents", Report(mode, scores), limits)]
    if ocr_scores:
        groups.append(("documents read by OCR", Report(mode, ocr_scores), ocr_limits))
    statuses = {g.parent.name: review_status(g.parent) for g in golds}
    first = _first_reads_since_release(golds)
    first_rows = first_reads_to_rows(first, [*scores, *ocr_scores]) if first else []
    if fmt == "json":
        report = groups[0][1]
        click.echo(json.dumps({**report.as_dict(), "review_status": statuses,
                               "ocr": {**Report(mode, ocr_scores).as_dict(), "pages": ocr_pages},
                               "first_read": [vars(r) for r in first_rows]},
                              indent=2, ensure_ascii=False))
    else:
        for title, report, group_limits in groups:
            rows = []
            for kind in FIELDS:
                c = report.micro(kind)
                rows.append((kind, c.gold, c.predicted, c.tp, f"{c.precision:.3f}", f"{c.recall:.3f}",
                             f"{c.f1:.3f}", f"{report.macro_f1(kind):.3f}", group_limits.get(kind, "")))
            click.echo(f"{title}: {len(report.documents)} sources, matching mode: {mode}\n")
            click.echo(_table(["field", "gold", "predicted", "matched", "precision", "recall", "micro_f1",
                               "macro_f1", "threshold"], rows))
            click.echo("")
        for d in [*scores, *ocr_scores]:
            for miss in d.misses:
                click.echo(f"{d.name}: {miss}")
        if ocr_pages:
            click.echo("\npages read by OCR (mean word confidence): "
                       + "; ".join(f"{k} {v}" for k, v in ocr_pages.items()))
        if first_rows:
            click.echo("\nfixtures added since the last release: first-read score (the extractor before any change "
                       "made for them) and today's score")
            click.echo(_table(["batch", "fixtures", "first_read_axes_f1", "first_read_actions_f1", "axes_f1_now",
                               "actions_f1_now"],
                              [(r.batch, r.fixtures, f"{r.first_axes_f1:.3f}", f"{r.first_actions_f1:.3f}",
                                f"{r.now_axes_f1:.3f}", f"{r.now_actions_f1:.3f}") for r in first_rows]))
        reviewed = sorted(k for k, v in statuses.items() if v == "reviewed")
        machine = sorted(k for k, v in statuses.items() if v != "reviewed")
        click.echo(f"\ngold reviewed by a person ({len(reviewed)}): {', '.join(reviewed) or '-'}")
        click.echo(f"gold not yet reviewed, machine-only ({len(machine)}): {', '.join(machine) or '-'}")
    failures = [f"{title}: {f}" for title, report, group_limits in groups for f in report.below(group_limits)]
    for failure in failures:
        click.echo(f"below threshold: {failure}", err=True)
    if failures:
        sys.exit(1)


def _first_reads_since_release(golds: list[Path]) -> dict[str, object]:
    """First-read scores (provenance.yaml) of the fixtures added after the last released version in CHANGELOG.md."""
    import re as _re

    from schemas.provenance import Provenance

    changelog = Path(__file__).resolve().parent.parent / "CHANGELOG.md"
    released = _re.findall(r"^## \d+\.\d+\.\d+ — (\d{4}-\d{2}-\d{2})", changelog.read_text(encoding="utf-8"), _re.M) \
        if changelog.exists() else []
    since = max(released) if released else "0000-00-00"
    out: dict[str, object] = {}
    for gold in golds:
        provenance = gold.parent / "provenance.yaml"
        if not provenance.exists():
            continue
        first = Provenance.from_file(provenance).first_read
        if first is not None and first.date.isoformat() > since:
            out[gold.parent.name] = first
    return out


if __name__ == "__main__":
    main()
