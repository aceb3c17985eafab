-- Four eyes: everyone who entered or changed an enrolment's scores, and everyone who marked
-- its attendance (a class day's mark, a check-in recorded by hand: attendance decides the
-- hours), not only the last of them. Each release announces both sets (enrollment.completed
-- `scorers`, `attendance_markers`) and certification refuses an approval by any of them.
CREATE TABLE result_authors (
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id),
    part          text        NOT NULL CHECK (part IN ('scores', 'attendance')),
    author_id     uuid        NOT NULL,
    first_at      timestamptz NOT NULL,
    PRIMARY KEY (enrollment_id, part, author_id)
);

-- What is still known of earlier work: the last scorer, each day's last marker, and every
-- check-in recorded by hand (checkin_audit is append-only); first_at is then when that last
-- mark was made.
INSERT INTO result_authors (enrollment_id, part, author_id, first_at)
SELECT id, 'scores', scored_by, updated_at FROM enrollments WHERE scored_by IS NOT NULL
UNION ALL
SELECT enrollment_id, 'attendance', marked_by, marked_at FROM attendance
WHERE marked_by IS NOT NULL
UNION ALL
SELECT enrollment_id, 'attendance', actor_id, at FROM checkin_audit WHERE actor_id IS NOT NULL
ON CONFLICT DO NOTHING;
