-- v_timeline: year x territory x theme: actions of current contracts scheduled in that year. Actions without
-- scheduled years count in every year of their contract's period (`from_period` true).
CREATE OR REPLACE VIEW v_timeline AS
WITH cur AS (
    SELECT a.action_id, a.years, CASE WHEN len(a.themes) = 0 THEN ['(none)'] ELSE a.themes END AS themes,
           c.contract_id, c.period_start, c.period_end
    FROM actions a JOIN contracts c ON c.contract_id = a.contract_id AND c.status = 'current'
), scheduled AS (
    SELECT contract_id, themes, unnest(years) AS year, false AS from_period FROM cur WHERE len(years) > 0
    UNION ALL
    SELECT contract_id, themes, unnest(range(period_start, period_end + 1)) AS year, true AS from_period
    FROM cur WHERE len(years) = 0 AND period_start IS NOT NULL AND period_end IS NOT NULL
), counted AS (
    SELECT contract_id, year, theme, count(*) AS actions, bool_and(from_period) AS from_period
    FROM (SELECT contract_id, year, from_period, unnest(themes) AS theme FROM scheduled)
    GROUP BY ALL
)
SELECT t.year, c.territory_id, c.territory, t.theme, t.actions, t.from_period
FROM counted t JOIN contracts c ON c.contract_id = t.contract_id;
