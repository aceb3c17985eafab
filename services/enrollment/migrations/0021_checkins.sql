-- QR check-in (issue 16): a venue's optional geofence, each trainee's check-in and check-out
-- per session, the codes each enrolment has used (a code is good once per trainee), and an
-- append-only audit of trainers' records and corrections.
ALTER TABLE classes
    ADD COLUMN venue_lat      double precision CHECK (venue_lat BETWEEN -90 AND 90),
    ADD COLUMN venue_lng      double precision CHECK (venue_lng BETWEEN -180 AND 180),
    ADD COLUMN venue_radius_m integer CHECK (venue_radius_m > 0),
    ADD CONSTRAINT classes_geofence_whole CHECK (
        (venue_lat IS NULL) = (venue_lng IS NULL) AND (venue_lat IS NULL) = (venue_radius_m IS NULL));

CREATE TABLE checkins (
    enrollment_id    uuid        NOT NULL REFERENCES enrollments (id),
    class_id         uuid        NOT NULL REFERENCES classes (id),
    class_day        date        NOT NULL,
    session_no       smallint    NOT NULL,
    checked_in_at    timestamptz,
    checked_out_at   timestamptz,
    in_source        text CHECK (in_source IN ('self', 'trainer')),
    out_source       text CHECK (out_source IN ('self', 'trainer')),
    in_device        text,      -- random id of the browser (cookie), not personal data
    out_device       text,
    shared_device    boolean     NOT NULL DEFAULT false,
    confirmed_to_end boolean     NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (enrollment_id, class_day, session_no)
);
CREATE INDEX checkins_session ON checkins (class_id, class_day, session_no);

CREATE TABLE checkin_tokens_used (
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id),
    token_id      text        NOT NULL,
    used_at       timestamptz NOT NULL,
    PRIMARY KEY (enrollment_id, token_id)
);
CREATE INDEX checkin_tokens_used_at ON checkin_tokens_used (used_at);

CREATE TABLE checkin_audit (
    id            bigserial   PRIMARY KEY,
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id),
    class_day     date        NOT NULL,
    session_no    smallint    NOT NULL,
    actor_id      uuid,
    actor_role    text        NOT NULL,
    reason        text        NOT NULL,
    before        jsonb,
    after         jsonb       NOT NULL,
    at            timestamptz NOT NULL
);
CREATE INDEX checkin_audit_enrollment ON checkin_audit (enrollment_id, id);

CREATE FUNCTION checkin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'checkin_audit is append-only';
END $$;
CREATE TRIGGER checkin_audit_append_only BEFORE UPDATE OR DELETE ON checkin_audit
    FOR EACH ROW EXECUTE FUNCTION checkin_audit_append_only();
