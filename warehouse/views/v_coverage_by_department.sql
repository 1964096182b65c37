-- v_coverage_by_department: for each département, its population (population municipale of its communes), the
-- population of its communes covered by at least one current CLS whose territory has an official match, and
-- the share. A commune counts once however many contracts cover it.
CREATE OR REPLACE VIEW v_coverage_by_department AS
WITH covered AS (
    SELECT DISTINCT tc.commune FROM territory_communes tc
    JOIN contracts c ON c.territory_id = tc.territory_id AND c.status = 'current'
), per_department AS (
    SELECT g.department, sum(g.population)::BIGINT AS population,
           coalesce(sum(g.population) FILTER (WHERE g.commune IN (SELECT commune FROM covered)), 0)::BIGINT
               AS covered_population,
           count(*) FILTER (WHERE g.commune IN (SELECT commune FROM covered)) AS covered_communes,
           count(*) AS communes
    FROM geo_communes g GROUP BY g.department
)
SELECT p.department, d.name AS department_name, d.region, r.name AS region_name, p.population,
       p.covered_population, round(p.covered_population / nullif(p.population, 0), 4) AS covered_share,
       p.covered_communes, p.communes
FROM per_department p
JOIN geo_departements d ON d.department = p.department
LEFT JOIN geo_regions r ON r.region = d.region;
