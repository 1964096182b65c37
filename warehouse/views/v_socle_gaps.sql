-- v_socle_gaps: for each territory whose current contract lists actions, the ARS socle items no action
-- covers (a theme counts for the socle item it belongs to, see the `themes` table).
CREATE OR REPLACE VIEW v_socle_gaps AS
WITH socle AS (
    SELECT DISTINCT socle, socle_label FROM themes WHERE socle IS NOT NULL
), planned AS (
    SELECT contract_id, territory_id, territory FROM contracts c
    WHERE status = 'current' AND contract_id IN (SELECT contract_id FROM actions)
), covered AS (
    SELECT DISTINCT a.contract_id, th.socle
    FROM (SELECT contract_id, unnest(themes) AS theme FROM actions) a JOIN themes th ON th.theme = a.theme
)
SELECT p.territory_id, p.territory, s.socle, s.socle_label
FROM planned p CROSS JOIN socle s
ANTI JOIN covered cv ON cv.contract_id = p.contract_id AND cv.socle = s.socle;
