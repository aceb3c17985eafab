-- A held certificate's occupation code (职业编码, e.g. 4-10-01-02), when the trainee gives it:
-- enrollment's eligibility rules match a course's occupation by code first, then by name. The
-- level of a national number is its level digit when the trainee gave none (issue 14: one
-- place to record a certificate held from elsewhere; enrollment keeps a copy from events).
ALTER TABLE held_certificates ADD COLUMN occupation_code text;
UPDATE held_certificates SET level = substr(number, 16, 1)::smallint
    WHERE format = 'national' AND level IS NULL;
