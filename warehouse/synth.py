"""A synthetic warehouse of N contracts, for benchmarking the analyst views (scripts/bench_views.py).

Built in SQL from DuckDB's range(): deterministic (no randomness: hash() of the row number), with the shapes
of the real tables: ~4 axes, ~12 objectives and ~25 actions per contract, 1-2 themes and 0-2 publics per
action, 2-4 partners per action from a pool of 300, years inside the contract's period, 1 in 5 territories with
a superseded earlier contract.
"""

from __future__ import annotations

from pathlib import Path

from warehouse import store


def build(db: Path, contracts: int) -> None:
    db.unlink(missing_ok=True)
    with store.connect(db) as con:
        con.execute("BEGIN TRANSACTION")
        con.execute(f"""
            CREATE TEMP TABLE c AS
            SELECT i, 't' || (i % {max(contracts * 5 // 6, 1)}) AS territory_id,
                   2018 + (hash(i) % 9)::INTEGER AS period_start
            FROM range({contracts}) r(i)""")
        con.execute("""
            INSERT INTO territories (territory_id, name, kind, department, region)
            SELECT DISTINCT territory_id, 'Territoire ' || territory_id,
                   ['commune', 'EPCI', 'agglomération', 'métropole', 'pays'][1 + (hash(territory_id) % 5)::BIGINT],
                   lpad(((hash(territory_id) % 95) + 1)::VARCHAR, 2, '0'), 'Région ' || (hash(territory_id) % 13)
            FROM c""")
        con.execute("""
            INSERT INTO documents SELECT 'd' || i, 'synthetic/' || i || '.pdf', 'application/pdf', 40, 'synthetic',
                   '1.2', TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND, 'machine', NULL, NULL FROM c""")
        con.execute("""
            INSERT INTO contracts SELECT 'd' || i, 'd' || i, 'contract', territory_id, 'Territoire ' || territory_id,
                   NULL, 'current', period_start, period_start + 4, NULL, 4, 25, '[]', 'synthetic', 1,
                   'the only publication', 4, 25 FROM c""")
        con.execute("""
            INSERT INTO publications SELECT 'd' || i, 'd' || i, 'synthetic/' || i || '.pdf', 'application/pdf',
                   'text', 0, 4, 12, 25, 0, true, 1, 'the only publication' FROM c""")
        con.execute("""
            UPDATE contracts SET status = 'superseded' WHERE contract_id IN (
                SELECT contract_id FROM (SELECT contract_id, row_number() OVER (PARTITION BY territory_id
                    ORDER BY period_end DESC, contract_id) AS n FROM contracts) WHERE n > 1)""")
        con.execute("""
            INSERT INTO axes SELECT 'd' || i || ':ax:' || k, 'd' || i, k, (k + 1)::VARCHAR, 'Axe ' || k, 1, NULL,
                   NULL, 'synthetic' FROM c, range(4) r(k)""")
        con.execute("""
            INSERT INTO objectives SELECT 'd' || i || ':ob:' || k, 'd' || i, 'd' || i || ':ax:' || (k // 3), k,
                   NULL, 'Objectif ' || k, 2, NULL, NULL, 'synthetic' FROM c, range(12) r(k)""")
        con.execute("""
            INSERT INTO actions SELECT 'd' || i || ':ac:' || k, 'd' || i, 'd' || i || ':ax:' || (k % 4),
                   'd' || i || ':ob:' || (k % 12), k, (k + 1)::VARCHAR, 'Action ' || k || ' du contrat ' || i, 3, NULL,
                   NULL, NULL, [], [], [], [], NULL, 'synthetic' FROM c, range(25) r(k)""")
        con.execute("""
            INSERT INTO action_years SELECT a.action_id, c.period_start + y FROM actions a
            JOIN c ON a.contract_id = 'd' || c.i, range(3) r(y) WHERE (hash(a.action_id) + y) % 3 <> 0""")
        con.execute("""
            INSERT INTO action_themes SELECT action_id, theme, rank, 'synthetic' FROM (
                SELECT a.action_id, t.theme, row_number() OVER (PARTITION BY a.action_id ORDER BY t.theme) AS rank
                FROM actions a JOIN (SELECT theme, row_number() OVER (ORDER BY theme) - 1 AS n FROM themes) t
                ON t.n = hash(a.action_id) % 15 OR t.n = hash(a.action_id || 'b') % 30)""")
        con.execute("""
            INSERT INTO axis_themes SELECT x.axis_id, t.theme, 1, 'synthetic' FROM axes x
            JOIN (SELECT theme, row_number() OVER (ORDER BY theme) - 1 AS n FROM themes) t
            ON t.n = hash(x.axis_id) % 15""")
        con.execute("""
            INSERT INTO action_publics SELECT DISTINCT a.action_id,
                   ['jeunes', 'enfants', 'personnes âgées', 'habitants', 'aidants',
                    'professionnels de santé'][1 + (hash(a.action_id || k) % 6)::BIGINT]
            FROM actions a, range(2) r(k) WHERE hash(a.action_id || k) % 3 = 0""")
        con.execute("""
            INSERT INTO partners SELECT 'p' || k, 'Partenaire ' || k, NULL, 'autre', false FROM range(300) r(k)""")
        con.execute("""
            INSERT INTO action_partners SELECT action_id, partner_id, min(role), contract_id,
                   'Partenaire ' || substr(partner_id, 2) FROM (
                SELECT a.action_id, 'p' || (hash(a.action_id || k) % 300) AS partner_id,
                       CASE WHEN k = 0 THEN 'pilot' ELSE 'partner' END AS role, a.contract_id
                FROM actions a, range(4) r(k) WHERE k < 2 + hash(a.action_id) % 3) GROUP BY ALL""")
        # each synthetic territory resolves to one official EPCI (by hash), so the coverage views have work to do
        con.execute("""
            CREATE TEMP TABLE te AS SELECT t.territory_id, e.epci, e.name FROM (SELECT territory_id,
                   hash(territory_id) % (SELECT count(*) FROM geo_epci) AS n FROM territories) t
            JOIN (SELECT epci, name, row_number() OVER (ORDER BY epci) - 1 AS n FROM geo_epci) e USING (n)""")
        con.execute("""INSERT INTO territory_units SELECT te.territory_id, 'epci', te.epci, te.name,
                         (SELECT sum(population) FROM geo_communes g WHERE g.epci = te.epci) FROM te""")
        con.execute("""INSERT INTO territory_communes SELECT te.territory_id, g.commune, g.name, g.department,
                         g.region, g.population FROM te JOIN geo_communes g ON g.epci = te.epci""")
        con.execute("""UPDATE territories SET match_status = 'matched', match_method = 'exact-name',
                         match_confidence = 0.95, official_name = u.name, official_codes = [u.code],
                         population = u.population FROM territory_units u
                         WHERE u.territory_id = territories.territory_id""")
        for column, sql in (
                ("years", "SELECT action_id, list(year ORDER BY year) AS v FROM action_years GROUP BY ALL"),
                ("themes", "SELECT action_id, list(theme ORDER BY rank) AS v FROM action_themes GROUP BY ALL"),
                ("publics", "SELECT action_id, list(public ORDER BY public) AS v FROM action_publics GROUP BY ALL"),
                ("partners", "SELECT ap.action_id, list(p.name ORDER BY ap.role DESC, p.name) AS v FROM "
                             "action_partners ap JOIN partners p USING (partner_id) GROUP BY ALL")):
            con.execute(f"UPDATE actions SET {column} = x.v FROM ({sql}) x WHERE x.action_id = actions.action_id")
        con.execute("COMMIT")
