"""Analyst views on a warehouse of 10,000 synthetic contracts: each query must answer in under 200 ms
(issue #4). Speed is checked here, not in unit tests.

Usage: python scripts/bench_views.py [--contracts 10000] [--limit-ms 200] [--db /tmp/clsdata-bench.duckdb]
Builds the warehouse with warehouse/synth.py, then runs every query below 5 times through `store.query` (a new
read-only connection each time, as `clsdata query` does: cold caches) and reports the median. Exits 1 when a
median is over the limit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from warehouse import store, synth

QUERIES = {
    "v_actions: mental health x young people, by territory": """
        SELECT territory, count(*) FROM v_actions
        WHERE contract_status = 'current' AND list_contains(themes, 'sante-mentale')
          AND list_contains(publics, 'jeunes') GROUP BY territory ORDER BY 2 DESC LIMIT 20""",
    "v_actions: one territory's plan": """
        SELECT * FROM v_actions WHERE territory_id = 't42' ORDER BY axis_number, action_number""",
    "v_theme_coverage: territory x theme": "SELECT count(*), sum(actions) FROM v_theme_coverage",
    "v_theme_coverage: one theme ranked": """
        SELECT territory, share_of_actions FROM v_theme_coverage WHERE theme = 'addictions'
        ORDER BY share_of_actions DESC LIMIT 20""",
    "v_timeline: year x theme": """
        SELECT year, theme, sum(actions) FROM v_timeline WHERE year BETWEEN 2024 AND 2027 GROUP BY ALL""",
    "v_partners: top partners": "SELECT name, territories, actions FROM v_partners ORDER BY territories DESC LIMIT 20",
    "v_socle_gaps: gaps per socle item": "SELECT socle, count(*) FROM v_socle_gaps GROUP BY socle",
    "v_coverage_by_region: population covered": "SELECT * FROM v_coverage_by_region ORDER BY covered_share DESC",
    "v_coverage_by_department: population covered": """
        SELECT * FROM v_coverage_by_department ORDER BY covered_share DESC""",
    "v_actions_per_population: density": """
        SELECT territory, actions_per_10000 FROM v_actions_per_population ORDER BY 2 DESC LIMIT 20""",
    "actions per theme per département": """
        SELECT department, theme, count(*) FROM v_actions, unnest(themes) t(theme)
        WHERE contract_status = 'current' GROUP BY ALL""",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--limit-ms", type=float, default=200.0)
    parser.add_argument("--db", type=Path, default=Path("/tmp/clsdata-bench-views.duckdb"))
    args = parser.parse_args()
    start = time.perf_counter()
    synth.build(args.db, args.contracts)
    _, counts = store.query(args.db, "SELECT (SELECT count(*) FROM contracts), (SELECT count(*) FROM actions)")
    print(f"built {counts[0][0]} contracts, {counts[0][1]} actions in {time.perf_counter() - start:.1f} s")
    slow = []
    print(f"{'query':56} {'rows':>7} {'median ms':>10}")
    for name, sql in QUERIES.items():
        times = []
        rows: list[object] = []
        for _ in range(5):
            t = time.perf_counter()
            _, rows = store.query(args.db, sql)
            times.append((time.perf_counter() - t) * 1000)
        median = statistics.median(times)
        print(f"{name:56} {len(rows):7d} {median:10.1f}")
        if median > args.limit_ms:
            slow.append(name)
    if slow:
        print(f"over {args.limit_ms:g} ms: {', '.join(slow)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
