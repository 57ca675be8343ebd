-- pgbench script: the rows of benchmark (a), examples/08-cleanroom-list.graphql page 1,
-- hand-written as one statement: the first 100 cleanrooms in keyset order (code, id), each
-- with its unit's name and that unit's institution's code. Served by the (code, id) index.
SELECT c.id, c.code, c.grade, u.name AS unit_name, i.code AS institution_code
FROM cleanroom AS c
JOIN unit AS u ON u.id = c.unit_id
JOIN institution AS i ON i.id = u.institution_id
ORDER BY c.code, c.id
LIMIT 100;
