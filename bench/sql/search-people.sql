-- pgbench script: the rows of benchmark (i), hand-written as one would without a search
-- index: the people whose folded "family given" name starts with the folded text ("Ødegaard"
-- is `odegaard`), by that name.
SELECT p.id, p.given_name || ' ' || p.family_name AS name
FROM person AS p
WHERE p.name_key >= 'odegaard' AND p.name_key < 'odegaare'
ORDER BY p.name_key, p.id
LIMIT 20;
