-- v_actions: one row per action of the loaded contracts, with its territory, axis, objective, years, themes,
-- publics and partners (lists), and where it was read (document, page, box, extractor version).
CREATE OR REPLACE VIEW v_actions AS
SELECT
    a.action_id,
    c.contract_id,
    c.territory_id,
    c.territory,
    t.kind       AS territory_kind,
    t.department,
    t.region,
    c.status     AS contract_status,
    c.period_start,
    c.period_end,
    ax.number    AS axis_number,
    ax.title     AS axis_title,
    ob.title     AS objective_title,
    a.number     AS action_number,
    a.title      AS action_title,
    a.years,
    a.themes,
    a.publics,
    a.partners,
    a.pilot,
    a.schedule,
    d.path       AS document_path,
    d.origin,                                  -- machine | reviewed
    d.reviewed_by,
    a.page,
    a.bbox,
    a.extractor_version
FROM actions a
JOIN contracts c   ON c.contract_id = a.contract_id
JOIN documents d   ON d.document_id = c.document_id
LEFT JOIN territories t ON t.territory_id = c.territory_id
LEFT JOIN axes ax       ON ax.axis_id = a.axis_id
LEFT JOIN objectives ob ON ob.objective_id = a.objective_id;
