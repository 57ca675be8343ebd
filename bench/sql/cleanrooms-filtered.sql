-- pgbench script: the rows of benchmark (g), hand-written.
SELECT c.id, c.code, c.grade, c.area_m2
FROM cleanroom AS c
WHERE c.grade IN ('A', 'B') AND c.area_m2 >= 21
ORDER BY c.area_m2 DESC, c.id DESC
LIMIT 100;
