-- Applied by bench/run.sh to the benchmark database after `atmp-graph generate`, for
-- PostGraphile only: atmp-graph ignores it. The tables have no foreign keys (atmp-graph
-- resolves relations itself), so the relations the benchmark queries follow are declared as
-- PostGraphile smart comments; two SQL functions give PostGraphile what atmp-graph computes:
-- a person's display name and a unit's people (the many-to-many through appointment).

COMMENT ON TABLE cleanroom IS E'@foreignKey (unit_id) references unit (id)\n@foreignKey (institution_id) references institution (id)';
COMMENT ON TABLE unit IS E'@foreignKey (institution_id) references institution (id)';
COMMENT ON TABLE appointment IS E'@foreignKey (person_id) references person (id)\n@foreignKey (unit_id) references unit (id)\n@foreignKey (institution_id) references institution (id)';

-- Person.name in atmp-graph: given name, a space, family name.
CREATE FUNCTION person_name(p person) RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT p.given_name || ' ' || p.family_name $$;
COMMENT ON FUNCTION person_name(person) IS E'@fieldName name\nGiven name and family name, as atmp-graph''s Person.name.';

-- Unit.people in atmp-graph: each person with an appointment in the unit, once.
CREATE FUNCTION unit_people(u unit) RETURNS SETOF person
  LANGUAGE sql STABLE AS $$
    SELECT p.* FROM person AS p
    WHERE p.id IN (SELECT a.person_id FROM appointment AS a WHERE a.unit_id = u.id)
  $$;
COMMENT ON FUNCTION unit_people(unit) IS E'@fieldName people\n@behavior +orderBy +order\nThe people with an appointment in the unit, as atmp-graph''s Unit.people.';
