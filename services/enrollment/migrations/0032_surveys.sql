-- The feedback survey after a class: one per completed enrolment, invited by SMS with a short
-- code (SMS variables may not carry links), answered once; six months after completion one
-- optional employment question follows.
CREATE TABLE surveys (
    id                    uuid PRIMARY KEY,
    enrollment_id         uuid        NOT NULL UNIQUE REFERENCES enrollments (id),
    class_id              uuid        NOT NULL REFERENCES classes (id),
    trainee_id            uuid        NOT NULL REFERENCES users (id),
    code                  text        NOT NULL UNIQUE,
    invited_at            timestamptz NOT NULL,
    answered_at           timestamptz,
    content               smallint CHECK (content BETWEEN 1 AND 5),
    trainer               smallint CHECK (trainer BETWEEN 1 AND 5),
    venue                 smallint CHECK (venue BETWEEN 1 AND 5),
    usefulness            smallint CHECK (usefulness BETWEEN 1 AND 5),
    recommend             smallint CHECK (recommend BETWEEN 1 AND 5),
    comment               text        NOT NULL DEFAULT '',
    followup_due_at       timestamptz NOT NULL,
    followup_sent_at      timestamptz,
    working_in_occupation boolean,
    followup_answered_at  timestamptz,
    CHECK ((answered_at IS NULL) = (content IS NULL))
);
CREATE INDEX surveys_class ON surveys (class_id) WHERE answered_at IS NOT NULL;
CREATE INDEX surveys_followup ON surveys (followup_due_at) WHERE followup_sent_at IS NULL;
CREATE INDEX surveys_trainee ON surveys (trainee_id);
-- Completed enrolments not yet invited (the invitation job's look-up).
CREATE INDEX enrollments_completed ON enrollments (updated_at) WHERE status = 'completed';
