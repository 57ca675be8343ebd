-- pgbench script: the rows of benchmark (k), page 1, hand-written.
SELECT p.id, p.given_name, p.family_name
FROM person AS p
ORDER BY p.given_name, p.id
LIMIT 100;
