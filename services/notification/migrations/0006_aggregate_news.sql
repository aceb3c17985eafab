-- The highest seq taken in per aggregate (enrolment, certificate) and event type: which newer
-- news is known, for the superseding table in domain/superseding.py. It replaces
-- aggregate_versions, which kept only the newest state's seq and so could not tell a
-- cancellation (the confirmation is pointless) from a reschedule (it is not).
CREATE TABLE aggregate_news (
    aggregate_id  text    NOT NULL,
    event_type    text    NOT NULL,
    seq           integer NOT NULL,
    PRIMARY KEY (aggregate_id, event_type)
);
INSERT INTO aggregate_news (aggregate_id, event_type, seq)
SELECT aggregate_id, source_type, max(seq) FROM notifications
WHERE seq IS NOT NULL GROUP BY aggregate_id, source_type;
DROP TABLE aggregate_versions;
