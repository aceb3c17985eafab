-- Skill certificates a trainee already holds from elsewhere (national 22-character or legacy
-- 16-digit numbers), recorded by the trainee (issue 14). Not issued here: never verified
-- publicly by this service.
CREATE TABLE held_certificates (
    id             uuid        PRIMARY KEY,
    holder_user_id uuid        NOT NULL,
    number         text        NOT NULL,
    format         text        NOT NULL CHECK (format IN ('national', 'legacy')),
    occupation     text        NOT NULL,
    level          smallint    CHECK (level BETWEEN 1 AND 5),
    issued_on      date,
    issuer         text,
    recorded_at    timestamptz NOT NULL,
    UNIQUE (holder_user_id, number)
);
