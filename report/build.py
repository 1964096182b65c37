"""The warehouse -> a static HTML report: index.html (national coverage by région, ARS socle gaps by territory,
actions per year and theme, the contracts) and contracts/<contract>.html (axes > objectives > actions, partners,
publics, publications and provenance links). Charts are inline SVG (report/svg.py); no script, no file from
the network: the folder can be zipped, mailed or served by any static server."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from report import svg
from warehouse import store

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1a202c; line-height: 1.4 }
h1 { font-size: 1.6rem } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #cbd5e0 }
table { border-collapse: collapse; font-size: .9rem } td, th { padding: .25rem .5rem; border-bottom: 1px solid #e2e8f0;
text-align: left; vertical-align: top } .muted { color: #718096; font-size: .85rem } .tag { display: inline-block;
background: #edf2f7; border-radius: 3px; padding: 0 .3rem; margin: 0 .15rem .1rem 0; font-size: .8rem }
.axis { margin-top: 1.2rem } .objective { margin: .4rem 0 .2rem 1rem; font-weight: 600 }
ul.actions { margin-top: .2rem }
.reading { font-weight: 600 } figure { margin: 1rem 0 } figcaption { color: #4a5568; font-size: .85rem }
"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html>\n<html lang='fr'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def contract_file(contract_id: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "_", contract_id.lower()) + ".html"


def _rows(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _fmt_int(n: int | None) -> str:
    return "-" if n is None else f"{n:,}".replace(",", "\u202f")


def _link(path: str, out: Path, page: int | None = None) -> str:
    target = Path(path)
    href = os.path.relpath(target.resolve(), out.resolve()) if target.exists() else path
    if page and path.endswith(".pdf"):
        href += f"#page={page}"
    return f"<a href='{escape(href)}'>{escape('/'.join(target.parts[-2:]))}" + (
        f" p.{page}" if page else "") + "</a>"


def warehouse_to_report(db: Path | str, out: Path) -> list[Path]:
    """Write the report into `out` (index.html and contracts/*.html); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "contracts").mkdir(exist_ok=True)
    written: list[Path] = []
    with store.connect(db, read_only=True) as con:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        regions = _rows(con, """SELECT region_name, population, covered_population, covered_share
                                FROM v_coverage_by_region WHERE population > 0
                                ORDER BY covered_share DESC, region_name""")
        national = con.execute("SELECT sum(population), sum(covered_population) FROM v_coverage_by_region"
                               ).fetchone()
        contracts = _rows(con, """
            SELECT c.contract_id, c.territory, c.status, c.period_start, c.period_end, c.actions, c.axes,
                   c.publications, t.official_name, t.match_status, t.population, t.department, t.region
            FROM contracts c LEFT JOIN territories t USING (territory_id)
            WHERE c.document_kind = 'contract' ORDER BY c.status, coalesce(c.territory, c.contract_id)""")
        socles = [r[0] for r in con.execute("SELECT DISTINCT socle FROM themes WHERE socle IS NOT NULL ORDER BY 1"
                                            ).fetchall()]
        planned = _rows(con, """SELECT contract_id, coalesce(territory, '(territory not read)') AS territory
                                FROM contracts WHERE status = 'current' AND actions > 0 ORDER BY territory""")
        gaps = {(r[0], r[1]) for r in con.execute("""SELECT coalesce(territory, '(territory not read)'), socle
                                                     FROM v_socle_gaps""").fetchall()}
        timeline = con.execute("""SELECT year, theme, sum(actions)::BIGINT FROM v_timeline WHERE NOT from_period
                                  GROUP BY ALL ORDER BY ALL""").fetchall()
        index = _index(out, meta, regions, national, contracts, socles, planned, gaps, timeline)
        (out / "index.html").write_text(index, encoding="utf-8")
        written.append(out / "index.html")
        for c in contracts:
            path = out / "contracts" / contract_file(c["contract_id"])
            path.write_text(_contract_page(con, c, out / "contracts"), encoding="utf-8")
            written.append(path)
    return written


def _index(out: Path, meta: dict[str, str], regions: list[dict[str, Any]], national: Any,
           contracts: list[dict[str, Any]], socles: list[str], planned: list[dict[str, Any]],
           gaps: set[tuple[str, str]], timeline: list[tuple[int, str, int]]) -> str:
    share = (national[1] or 0) / national[0] if national and national[0] else 0.0
    coverage = svg.bars("Population covered by a current CLS, by région",
                        [(r["region_name"], float(r["covered_share"] or 0),
                          f"{100 * float(r['covered_share'] or 0):.1f} % "
                          f"({_fmt_int(r['covered_population'])} / {_fmt_int(r['population'])})")
                         for r in regions], max_value=max(float(regions[0]["covered_share"] or 0), 0.01)
                        if regions else None)
    rows = [p["territory"] for p in planned]
    cells = {(p["territory"], s): (0.0 if (p["territory"], s) in gaps else 1.0) for p in planned for s in socles}
    shown = {k: ("✓" if v else "gap") for k, v in cells.items()}
    socle_map = svg.heatmap("ARS socle items covered (✓) or not (gap), current contracts", rows, socles, cells,
                            shown=shown, colors=("#feb2b2", "#38a169"))
    years = sorted({y for y, _, _ in timeline})
    themes = sorted({t for _, t, _ in timeline})
    per_year = svg.heatmap("Actions scheduled per year and theme (current contracts)", themes,
                           [str(y) for y in years], {(t, str(y)): float(n) for y, t, n in timeline}, cell=40)
    listing = "".join(
        f"<tr><td><a href='contracts/{contract_file(c['contract_id'])}'>{escape(c['territory'] or c['contract_id'])}"
        f"</a></td><td>{c['period_start'] or '?'}–{c['period_end'] or '?'}</td><td>{c['status']}</td>"
        f"<td>{escape(c['official_name'] or c['match_status'] or 'unmatched')}</td><td>{_fmt_int(c['population'])}</td>"
        f"<td>{c['axes']}</td><td>{c['actions']}</td><td>{c['publications']}</td></tr>" for c in contracts)
    body = (
        "<h1>Contrats locaux de santé: the warehouse at a glance</h1>"
        f"<p class='muted'>Warehouse generation {escape(meta.get('generation', '?'))}, published "
        f"{escape(meta.get('published_at', '?'))}; official geography {escape(meta.get('geo_version', '?'))}; "
        f"report written {datetime.now().isoformat(timespec='seconds')}. Every figure comes from the warehouse's "
        f"views (docs/analyst-guide.md).</p>"
        f"<h2>National coverage</h2><p>{100 * share:.2f} % of the population "
        f"({_fmt_int(national[1] if national else 0)} of {_fmt_int(national[0] if national else 0)} inhabitants) "
        f"lives in a commune covered by a current CLS of this warehouse (v_coverage_by_region).</p>"
        f"<figure>{coverage}<figcaption>Share of each région's population covered (population municipale; "
        f"a commune counts once).</figcaption></figure>"
        f"<h2>ARS socle gaps by territory</h2><figure>{socle_map}<figcaption>v_socle_gaps: socle items no action "
        f"of the territory's current contract covers.</figcaption></figure>"
        f"<h2>Actions per year and theme</h2><figure>{per_year}<figcaption>v_timeline, actions with scheduled "
        f"years (an action with several themes counts in each).</figcaption></figure>"
        f"<h2>Contracts ({len(contracts)})</h2><table><tr><th>territory</th><th>period</th><th>status</th>"
        f"<th>official territory</th><th>population</th><th>axes</th><th>actions</th><th>publications</th></tr>"
        f"{listing}</table>")
    return _page("CLS warehouse report", body)


def _contract_page(con: Any, c: dict[str, Any], here: Path) -> str:
    cid = c["contract_id"]
    head = _rows(con, """SELECT c.*, t.official_name, t.official_codes, t.match_status, t.match_method,
                                t.match_reason, t.population, t.department AS dep, t.region AS reg
                         FROM contracts c LEFT JOIN territories t USING (territory_id) WHERE contract_id = ?""",
                 [cid])[0]
    pubs = _rows(con, "SELECT * FROM publications WHERE contract_id = ? ORDER BY rank", [cid])
    reading = next((p for p in pubs if p["chosen"]), None)
    axes = _rows(con, "SELECT * FROM axes WHERE contract_id = ? ORDER BY ordinal", [cid])
    objectives = _rows(con, "SELECT * FROM objectives WHERE contract_id = ? ORDER BY ordinal", [cid])
    actions = _rows(con, "SELECT * FROM actions WHERE contract_id = ? ORDER BY ordinal", [cid])
    partners = _rows(con, """SELECT partner, acronym, mentions FROM contract_partners WHERE contract_id = ?
                             ORDER BY mentions DESC, partner LIMIT 25""", [cid])
    publics = _rows(con, """SELECT public, mentions FROM contract_publics WHERE contract_id = ?
                            ORDER BY mentions DESC, public""", [cid])
    path = reading["path"] if reading else ""

    def action_line(a: dict[str, Any]) -> str:
        tags = "".join(f"<span class='tag'>{escape(t)}</span>" for t in [*a["themes"], *a["publics"]])
        years = f" <span class='muted'>{', '.join(map(str, a['years']))}</span>" if a["years"] else ""
        partners_ = f"<br><span class='muted'>{escape(', '.join(a['partners']))}</span>" if a["partners"] else ""
        return (f"<li>{escape(a['number'] or '')} {escape(a['title'])}{years} {tags} "
                f"<span class='muted'>({_link(path, here, a['page'])})</span>{partners_}</li>")

    tree = []
    by_axis: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for a in actions:
        by_axis[a["axis_id"]].append(a)
    for ax in [*axes, None]:
        key = ax["axis_id"] if ax else None
        mine = by_axis.get(key, [])
        if ax is None and not mine:
            continue
        title = (f"Axe {escape(ax['number'] or '')}: {escape(ax['title'])} <span class='muted'>"
                 f"({_link(path, here, ax['page'])})</span>") if ax else "Actions outside an axis"
        parts = [f"<div class='axis'><h3>{title}</h3>"]
        objs = [o for o in objectives if o["axis_id"] == key] if ax else []
        for o in objs:
            parts.append(f"<div class='objective'>{escape(o['title'])}</div><ul class='actions'>"
                         + "".join(action_line(a) for a in mine if a["objective_id"] == o["objective_id"]) + "</ul>")
        loose = [a for a in mine if a["objective_id"] not in {o["objective_id"] for o in objs}]
        if loose:
            parts.append("<ul class='actions'>" + "".join(action_line(a) for a in loose) + "</ul>")
        tree.append("".join(parts) + "</div>")
    pub_rows = "".join(
        f"<tr class='{'reading' if p['chosen'] else ''}'><td>{p['rank']}</td><td>{_link(p['path'], here)}</td>"
        f"<td>{escape(p['media_type'])}</td><td>{escape(p['reading_method'])}</td><td>{p['axes']} / {p['actions']}"
        f"</td><td>{p['warnings']}</td><td>{escape(p['reason'])}</td></tr>" for p in pubs)
    official = (f"{escape(head['official_name'])} ({escape(', '.join(head['official_codes'] or []))}; "
                f"{escape(head['match_method'] or '')}), population {_fmt_int(head['population'])}, "
                f"département {escape(head['dep'] or '-')}, {escape(head['reg'] or '')}"
                if head.get("official_name") else
                f"no official match ({escape(head.get('match_status') or 'territory not read')}): "
                f"{escape(head.get('match_reason') or 'the document does not name its territory')}")
    body = (
        "<p><a href='../index.html'>← report</a></p>"
        f"<h1>{escape(head['territory'] or cid)}</h1>"
        f"<p>CLS {head['period_start'] or '?'}–{head['period_end'] or '?'}, {escape(head['status'])}"
        f"{', signed ' + str(head['signed_on']) if head['signed_on'] else ''}. Official territory: {official}.</p>"
        f"<p class='muted'>contract {escape(cid)}; {head['axes']} axes, {head['actions']} actions read from "
        f"{_link(path, here)} ({escape(head['reading_reason'])}).</p>"
        f"<h2>Axes and actions</h2>{''.join(tree) or '<p>No axis or action was read.</p>'}"
        "<h2>Partners</h2><p>" + ("".join(f"<span class='tag'>{escape(p['partner'])} ({p['mentions']})</span>"
                                          for p in partners) or "none read") + "</p>"
        "<h2>Publics</h2><p>" + ("".join(f"<span class='tag'>{escape(p['public'])} ({p['mentions']})</span>"
                                         for p in publics) or "none read") + "</p>"
        f"<h2>Publications ({len(pubs)})</h2><table><tr><th>rank</th><th>document</th><th>type</th><th>read by</th>"
        f"<th>axes / actions</th><th>warnings</th><th>why</th></tr>{pub_rows}</table>")
    return _page(f"CLS {head['territory'] or cid}", body)
