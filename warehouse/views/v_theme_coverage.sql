-- v_theme_coverage: territory x theme, for each current contract: how many actions carry the theme (any rank),
-- how many axes, and the share of the contract's actions. Themes a contract does not touch have no row (see
-- v_socle_gaps for the gaps).
CREATE OR REPLACE VIEW v_theme_coverage AS
WITH current AS (
    SELECT contract_id, territory_id, territory FROM contracts WHERE status = 'current'
), totals AS (
    SELECT contract_id, count(*) AS actions FROM actions GROUP BY contract_id
), by_action AS (
    SELECT contract_id, theme, count(*) AS actions
    FROM (SELECT contract_id, unnest(themes) AS theme FROM actions) GROUP BY ALL
), by_axis AS (
    SELECT x.contract_id, th.theme, count(*) AS axes
    FROM axes x JOIN axis_themes th ON th.axis_id = x.axis_id GROUP BY ALL
), both_levels AS (
    SELECT coalesce(ba.contract_id, bx.contract_id) AS contract_id, coalesce(ba.theme, bx.theme) AS theme,
           coalesce(ba.actions, 0) AS actions, coalesce(bx.axes, 0) AS axes
    FROM by_action ba FULL OUTER JOIN by_axis bx ON bx.contract_id = ba.contract_id AND bx.theme = ba.theme
)
SELECT c.territory_id, c.territory, t.department, b.theme, th.label AS theme_label, th.socle,
       b.actions, b.axes, round(b.actions / nullif(tot.actions, 0), 3) AS share_of_actions
FROM both_levels b
JOIN current c ON c.contract_id = b.contract_id
JOIN themes th ON th.theme = b.theme
LEFT JOIN totals tot   ON tot.contract_id = c.contract_id
LEFT JOIN territories t ON t.territory_id = c.territory_id;
