-- v_actions: one row per action, with its territory, axis, objective and scheduled years.
CREATE OR REPLACE VIEW v_actions AS
SELECT
    a.action_id,
    c.territory,
    c.period_start,
    c.period_end,
    ax.number  AS axis_number,
    ax.title   AS axis_title,
    ob.title   AS objective_title,
    a.number   AS action_number,
    a.title    AS action_title,
    coalesce((SELECT list(y.year ORDER BY y.year) FROM action_years y WHERE y.action_id = a.action_id),
             []::INTEGER[]) AS years,
    a.partners,
    a.publics,
    d.path     AS document_path,
    a.page,
    a.bbox,
    a.extractor_version
FROM actions a
JOIN contracts c   ON c.contract_id = a.contract_id
JOIN documents d   ON d.document_id = c.document_id
LEFT JOIN axes ax       ON ax.axis_id = a.axis_id
LEFT JOIN objectives ob ON ob.objective_id = a.objective_id;
