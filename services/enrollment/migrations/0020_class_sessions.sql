-- Sessions of each class day with local start and end times (issue 16). A class day without
-- rows here has the default sessions 09:00-12:00 and 14:00-17:00; classes scheduled before this
-- table existed get those defaults written out, so their evidence refers to stored sessions.
CREATE TABLE class_sessions (
    class_id   uuid     NOT NULL REFERENCES classes (id),
    class_day  date     NOT NULL,
    no         smallint NOT NULL CHECK (no BETWEEN 1 AND 8),
    starts_at  time     NOT NULL,
    ends_at    time     NOT NULL,
    PRIMARY KEY (class_id, class_day, no),
    CHECK (ends_at > starts_at)
);

INSERT INTO class_sessions (class_id, class_day, no, starts_at, ends_at)
SELECT c.id, d.day, s.no, s.starts_at, s.ends_at
FROM classes c
CROSS JOIN LATERAL unnest(c.class_days) AS d(day)
CROSS JOIN (VALUES (1, time '09:00', time '12:00'), (2, time '14:00', time '17:00'))
    AS s(no, starts_at, ends_at)
ON CONFLICT DO NOTHING;
