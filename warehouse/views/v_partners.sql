-- v_partners: one row per partner of current contracts: in how many territories and actions it appears, and how
-- often as pilot. (Which territories: join action_partners to v_actions.)
CREATE OR REPLACE VIEW v_partners AS
WITH per_territory AS (
    SELECT ap.partner_id, c.territory_id, count(*) AS actions, count(*) FILTER (WHERE ap.role = 'pilot') AS pilot
    FROM action_partners ap JOIN contracts c ON c.contract_id = ap.contract_id AND c.status = 'current'
    GROUP BY ALL
), counted AS (
    SELECT partner_id, count(territory_id) AS territories, sum(actions)::BIGINT AS actions,
           sum(pilot)::BIGINT AS actions_as_pilot
    FROM per_territory GROUP BY partner_id
)
SELECT p.partner_id, p.name, p.acronym, p.kind, p.in_vocabulary, u.territories, u.actions, u.actions_as_pilot
FROM counted u JOIN partners p ON p.partner_id = u.partner_id;
