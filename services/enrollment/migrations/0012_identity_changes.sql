-- A trainee's name or ID changed after enrolment (issue 14): who, when, why; certification
-- holds the trainee's certificates from approval until an administrator confirms.
CREATE TABLE identity_changes (
    id              uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL REFERENCES users (id),
    fields          text[]      NOT NULL,
    reason          text,
    changed_by      uuid        NOT NULL,
    changed_by_role text        NOT NULL,
    changed_at      timestamptz NOT NULL,
    confirmed_by    uuid,
    confirmed_at    timestamptz
);
CREATE INDEX identity_changes_unconfirmed ON identity_changes (user_id) WHERE confirmed_at IS NULL;
CREATE INDEX identity_changes_by_time ON identity_changes (changed_at DESC, id DESC);
-- Orders TraineeIdentityReviewed events of a user: a larger seq is newer.
CREATE SEQUENCE identity_review_seq;
