-- Holders whose name or ID changed after enrolment and await an administrator's confirmation,
-- from enrollment's TraineeIdentityReviewed (a later seq wins). No certificate of a holder with
-- unconfirmed > 0 is approved or issued (issue 14).
CREATE TABLE identity_reviews (
    user_id     uuid PRIMARY KEY,
    unconfirmed integer NOT NULL,
    seq         bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
