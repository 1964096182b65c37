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

from pipeline import errors

DB_OPTION = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=Path("warehouse/cls.duckdb"),
                         show_default=True, help="DuckDB warehouse file.")


def _fail(message: str) -> None:
    click.echo(f"clsdata: {message}", err=True)
    sys.exit(2)


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
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path), default=[Path("fixtures")],
              show_default=True, help="Folder (searched recursively) or file; repeat for several.")
@DB_OPTION
@click.option("--rebuild", is_flag=True, help="Delete the warehouse file first (it is derived from the documents).")
def run(sources: tuple[Path, ...], db: Path, rebuild: bool) -> None:
    """Run the ingest flow (Prefect) and print a summary of the warehouse.

    Without PREFECT_API_URL, Prefect starts a temporary local server for the run.

    \b
    Example:
      clsdata run --source fixtures --db warehouse/cls.duckdb
    """
    missing = [s for s in sources if not s.exists()]
    if missing:
        _fail(f"{missing[0]}: {errors.MISSING}")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.ingest import ingest
    from warehouse import store

    if rebuild:
        for leftover in (db, db.with_name(db.name + ".wal")):
            leftover.unlink(missing_ok=True)
    try:
        with store.connect(db):
            pass  # the warehouse opens and has this clsdata's schema, before any document is read
    except store.WarehouseError as exc:
        _fail(str(exc))

    result = ingest([str(s) for s in sources], str(db))
    with store.connect(db) as con:
        columns, rows = store.summary(con)
        quarantine = store.quarantined(con)
    click.echo("")
    click.echo(_table(columns, rows))
    totals = [sum(r[i] for r in rows) for i in (3, 4, 5)]
    click.echo(f"\n{len(rows)} documents, {len({r[2] for r in rows if r[1] == 'contract'})} territories, "
               f"{totals[0]} axes, {totals[1]} objectives, {totals[2]} actions in {db}")
    if quarantine:
        click.echo(f"\nquarantined ({len(quarantine)}):")
        for path, reason, detail in quarantine:
            click.echo(f"  {path}: {reason}" + (f" ({detail})" if detail else ""))
    click.echo(f"this run: {len(result.loaded)} loaded, {len(result.quarantined)} quarantined")


@main.command()
@click.argument("sql")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def query(sql: str, db: Path, fmt: str) -> None:
    """Run one read-only SQL query on the warehouse.

    \b
    Example:
      clsdata query "select territory, count(*) as actions from v_actions group by 1" --format csv
    """
    from warehouse import store
    from warehouse.store import WarehouseError

    try:
        columns, rows = store.query(db, sql)
    except WarehouseError as exc:
        _fail(str(exc))
        return
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
def export_cmd(out_dir: Path, db: Path, fmt: str, with_contacts: bool) -> None:
    """Export every table and analyst view (Parquet, v_actions partitioned by département; or CSV).

    Personal data (the `contacts` table) is left out unless --with-contacts is given.

    \b
    Example:
      clsdata export exports/ --format parquet && duckdb -c "select * from 'exports/v_actions/*/*.parquet'"
    """
    from warehouse import store

    try:
        written = store.export(db, out_dir, fmt, with_contacts=with_contacts)
    except store.WarehouseError as exc:
        _fail(str(exc))
        return
    click.echo(f"{len(written)} tables and views written to {out_dir} ({fmt})")


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
    from pipeline.evaluate import FIELDS, DocumentScore, Report, score_document
    from pipeline.extract import file_to_extraction
    from schemas.gold import Gold

    limits: dict[str, float] = {}
    if thresholds.exists():
        config = yaml.safe_load(thresholds.read_text(encoding="utf-8")) or {}
        limits = {str(k): float(v) for k, v in (config.get("thresholds") or {}).items()}
        mode = mode or config.get("mode")
    mode = mode or "soft"
    golds = sorted(fixtures_dir.glob("*/gold.yaml"))
    if not golds:
        _fail(f"{fixtures_dir}: no */gold.yaml to evaluate against")
    scores: list[DocumentScore] = []
    for gold_path in golds:
        gold = Gold.from_file(gold_path)
        for source in sorted(p for p in gold_path.parent.glob("source.*") if p.suffix in {".pdf", ".html"}):
            name = f"{gold_path.parent.name}/{source.name}"
            try:
                got = file_to_extraction(source)
            except errors.DocumentError as exc:
                _fail(f"{exc.one_line()} (fixture {name})")
                return
            scores.append(score_document(name, gold, got, mode))
    report = Report(mode, scores)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        rows = []
        for kind in FIELDS:
            c = report.micro(kind)
            rows.append((kind, c.gold, c.predicted, c.tp, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}",
                         f"{report.macro_f1(kind):.3f}", limits.get(kind, "")))
        click.echo(f"{len(scores)} sources from {len(golds)} fixtures, matching mode: {mode}\n")
        click.echo(_table(["field", "gold", "predicted", "matched", "precision", "recall", "micro_f1", "macro_f1",
                           "threshold"], rows))
        for d in scores:
            for miss in d.misses:
                click.echo(f"{d.name}: {miss}")
    failures = report.below(limits)
    for failure in failures:
        click.echo(f"below threshold: {failure}", err=True)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
