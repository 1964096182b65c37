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
def run(sources: tuple[Path, ...], db: Path) -> None:
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


if __name__ == "__main__":
    main()
