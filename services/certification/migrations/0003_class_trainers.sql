-- The current trainers of each class, from enrollment's ClassTrainersChanged (a later seq wins).
-- Approvals, revocations, suspensions and reissues check this list; a class without a row falls
-- back to the trainer_ids the completion event carried.
CREATE TABLE class_trainers (
    class_id    uuid PRIMARY KEY,
    trainer_ids uuid[] NOT NULL,
    seq         integer NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
