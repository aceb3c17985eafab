-- Eligibility rules of a course (no row: only the class's own union-members rule applies).
-- `subsidised`: a place in its classes counts as a subsidised training of the trainee.
CREATE TABLE course_rules (
    course_id                 uuid PRIMARY KEY REFERENCES courses (id),
    subsidised                boolean     NOT NULL DEFAULT true,
    min_age                   smallint CHECK (min_age BETWEEN 0 AND 120),
    max_age                   smallint CHECK (max_age BETWEEN 0 AND 120),
    max_subsidised_per_year   smallint    NOT NULL DEFAULT 2 CHECK (max_subsidised_per_year >= 1),
    no_repeat_level           boolean     NOT NULL DEFAULT true,
    no_lower_level            boolean     NOT NULL DEFAULT true,
    updated_at                timestamptz NOT NULL,
    CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age)
);

-- A trainee's birth date when the ID number does not carry one (passports, permits).
ALTER TABLE users ADD COLUMN birth_date date;

-- Skill certificates a trainee recorded themselves (issued elsewhere): occupation and level.
CREATE TABLE skill_certificates (
    id               uuid PRIMARY KEY,
    trainee_id       uuid        NOT NULL REFERENCES users (id),
    occupation_name  text        NOT NULL,
    occupation_code  text,
    level            smallint    NOT NULL CHECK (level BETWEEN 1 AND 5),
    number           text        NOT NULL DEFAULT '',
    recorded_at      timestamptz NOT NULL
);
CREATE INDEX skill_certificates_trainee ON skill_certificates (trainee_id);

-- Exceptions an administrator granted: the trainee passes this rule (of any course) from now
-- on. Append-only, so the record of who granted what and why stays.
CREATE TABLE eligibility_exceptions (
    id          uuid PRIMARY KEY,
    trainee_id  uuid        NOT NULL REFERENCES users (id),
    rule        text        NOT NULL,
    course_id   uuid        REFERENCES courses (id),  -- NULL: every course
    reason      text        NOT NULL CHECK (length(reason) > 0),
    granted_by  uuid        NOT NULL,
    granted_at  timestamptz NOT NULL
);
CREATE INDEX eligibility_exceptions_trainee ON eligibility_exceptions (trainee_id, rule);

CREATE FUNCTION eligibility_exceptions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'eligibility_exceptions is append-only';
END $$;
CREATE TRIGGER eligibility_exceptions_append_only
    BEFORE UPDATE OR DELETE ON eligibility_exceptions
    FOR EACH ROW EXECUTE FUNCTION eligibility_exceptions_append_only();
