-- v_coverage_by_region: the ARS's indicator for this policy, by région: population covered by a current CLS
-- (communes of current contracts' official territories, each once) and its share of the région's population.
CREATE OR REPLACE VIEW v_coverage_by_region AS
SELECT region, region_name, sum(population)::BIGINT AS population,
       sum(covered_population)::BIGINT AS covered_population,
       round(sum(covered_population) / nullif(sum(population), 0), 4) AS covered_share,
       sum(covered_communes)::BIGINT AS covered_communes, sum(communes)::BIGINT AS communes,
       count(*) FILTER (WHERE covered_population > 0) AS departments_with_a_cls
FROM v_coverage_by_department
GROUP BY region, region_name;
