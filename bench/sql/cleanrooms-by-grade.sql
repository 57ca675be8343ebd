-- pgbench script: the figures of benchmark (j), hand-written.
SELECT c.institution_id, c.grade, count(*), count(DISTINCT c.unit_id), sum(c.area_m2)
FROM cleanroom AS c
GROUP BY c.institution_id, c.grade
ORDER BY c.institution_id, c.grade NULLS LAST;
