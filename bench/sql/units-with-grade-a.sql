-- pgbench script: the rows of benchmark (h), hand-written: the units by (name_key, id), each
-- with its first 10 grade-A rooms by (code, id).
SELECT u.id, u.name, c.id AS cleanroom_id, c.code
FROM (
  SELECT u.id, u.name, u.name_key
  FROM unit AS u
  WHERE u.kind = 'GMP_FACILITY'
    AND EXISTS (SELECT 1 FROM cleanroom AS r WHERE r.unit_id = u.id AND r.grade = 'A')
  ORDER BY u.name_key, u.id
  LIMIT 100
) AS u
LEFT JOIN LATERAL (
  SELECT r.id, r.code FROM cleanroom AS r
  WHERE r.unit_id = u.id AND r.grade = 'A'
  ORDER BY r.code, r.id
  LIMIT 10
) AS c ON true
ORDER BY u.name_key, u.id, c.code, c.id;
