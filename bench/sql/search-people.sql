-- pgbench script: the rows of benchmark (i), hand-written as one would without a search
-- index: the people whose folded "family given" name starts with the text, by that name.
SELECT p.id, p.given_name || ' ' || p.family_name AS name
FROM person AS p
WHERE p.name_key >= 'family00420' AND p.name_key < 'family00421'
ORDER BY p.name_key, p.id
LIMIT 20;
