-- A confirmed trainee may move to another class of the same course (改期) until the cut-off:
-- the start of the day this many days before the first class day (1: the day before).
ALTER TABLE courses ADD COLUMN move_cutoff_days smallint NOT NULL DEFAULT 1
    CHECK (move_cutoff_days BETWEEN 0 AND 60);
