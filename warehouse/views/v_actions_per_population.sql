-- v_actions_per_population: each current contract whose territory has an official match: its population and
-- its actions per 10,000 inhabitants.
CREATE OR REPLACE VIEW v_actions_per_population AS
SELECT c.contract_id, c.territory_id, c.territory, t.official_name, t.official_codes, t.department, t.region,
       t.population, c.actions,
       round(c.actions * 10000.0 / nullif(t.population, 0), 2) AS actions_per_10000
FROM contracts c JOIN territories t ON t.territory_id = c.territory_id
WHERE c.status = 'current' AND t.match_status = 'matched';
