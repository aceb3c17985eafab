-- Early warnings about training hours (issue 16): one row per enrolment and reason, written with
-- the enrollment.hours_at_risk event, so a trainee is told once per reason whichever instance
-- runs the job; the roster shows the flag.
CREATE TABLE hours_warnings (
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id),
    reason        text        NOT NULL CHECK (reason IN ('cannot_reach_minimum',
                                                         'missed_two_in_a_row')),
    missed_dates  date[]      NOT NULL,
    warned_at     timestamptz NOT NULL,
    PRIMARY KEY (enrollment_id, reason)
);
