-- The claim pack for the human-resources bureau (issue 16): a class's teaching and assessment
-- plans (printed on the class-opening application), a trainee's person category (花名册), and
-- an append-only record of every export (who, which document, whether unmasked).
ALTER TABLE classes
    ADD COLUMN teaching_plan   text NOT NULL DEFAULT '',
    ADD COLUMN assessment_plan text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN person_category text CHECK (person_category IN (
    'employed', 'unemployed', 'migrant_worker', 'poverty_alleviated', 'graduate', 'other'));

CREATE TABLE claim_exports (
    id         bigserial   PRIMARY KEY,
    class_id   uuid        NOT NULL REFERENCES classes (id),
    document   text        NOT NULL,
    format     text        NOT NULL,
    template   text        NOT NULL,
    unmasked   boolean     NOT NULL,
    actor_id   uuid        NOT NULL,
    actor_role text        NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX claim_exports_class ON claim_exports (class_id, id);

CREATE FUNCTION claim_exports_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'claim_exports is append-only';
END $$;
CREATE TRIGGER claim_exports_append_only BEFORE UPDATE OR DELETE ON claim_exports
    FOR EACH ROW EXECUTE FUNCTION claim_exports_append_only();
