-- Certification: released results, certificates, number counters, signing keys, audit.

-- The latest released result per enrolment (trainers issue from it; corrections compare versions).
CREATE TABLE results (
    enrollment_id   uuid PRIMARY KEY,
    result_version  integer NOT NULL,
    passed          boolean NOT NULL,
    class_id        uuid NOT NULL,
    trainee_user_id uuid,
    trainer_ids     uuid[] NOT NULL DEFAULT '{}',
    released_at     timestamptz NOT NULL,
    -- The EnrollmentCompleted payload; the ID number in it stays a Fernet token (encrypted).
    payload         jsonb NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX results_class ON results (class_id);

CREATE TABLE certificates (
    id                  uuid PRIMARY KEY,
    enrollment_id       uuid NOT NULL,
    class_id            uuid NOT NULL,
    holder_user_id      uuid,
    trainer_ids         uuid[] NOT NULL DEFAULT '{}',
    status              text NOT NULL
        CHECK (status IN ('pending', 'withdrawn', 'valid', 'suspended', 'revoked')),
    seq                 integer NOT NULL DEFAULT 1,
    result_version      integer NOT NULL,
    holder              jsonb NOT NULL,
    id_type             text,
    id_number_masked    text,
    id_number_encrypted text,
    course              jsonb NOT NULL,
    level               smallint CHECK (level BETWEEN 1 AND 5),
    hours               double precision,
    number              text UNIQUE,
    code                text,
    issued_at           timestamptz,
    issued_on           date,
    expires_on          date,
    issuer_name         text,
    status_index        bigint UNIQUE,
    kid                 text,
    credential          text,
    reason              text,
    revocation_kind     text CHECK (revocation_kind IN ('manual', 'result_corrected', 'reissued')),
    replaces            uuid,
    replaced_by         uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (status IN ('pending', 'withdrawn') OR (number IS NOT NULL AND code IS NOT NULL))
);
-- Exactly one live certificate per enrolment; a reissue replaces, it does not add.
CREATE UNIQUE INDEX certificates_live_enrollment ON certificates (enrollment_id)
    WHERE replaced_by IS NULL;
-- The short code (the verification URL) stays with the newest certificate of the enrolment.
CREATE UNIQUE INDEX certificates_live_code ON certificates (code)
    WHERE replaced_by IS NULL AND code IS NOT NULL;
CREATE INDEX certificates_holder ON certificates (holder_user_id, created_at);
CREATE INDEX certificates_class ON certificates (class_id, created_at);
CREATE INDEX certificates_revoked ON certificates (status_index) WHERE status = 'revoked';
CREATE INDEX certificates_suspended ON certificates (status_index) WHERE status = 'suspended';

-- One serial counter per number prefix, year and level; drawn in the issuing transaction.
CREATE TABLE number_counters (
    prefix      text NOT NULL,
    year        integer NOT NULL,
    level       smallint NOT NULL,
    last_serial integer NOT NULL,
    PRIMARY KEY (prefix, year, level)
);

-- Global status-list index: list = index / size, position = index % size (gaps are harmless).
CREATE SEQUENCE status_index_seq MINVALUE 0 START 0;

CREATE TABLE signing_keys (
    kid                   text PRIMARY KEY,
    seq                   integer NOT NULL UNIQUE,
    public_jwk            jsonb NOT NULL,
    private_key_encrypted text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    retired_at            timestamptz
);

-- Who did what to which certificate, when and why; rows are never changed or removed.
CREATE TABLE certificate_audit (
    id             bigserial PRIMARY KEY,
    certificate_id uuid NOT NULL,
    action         text NOT NULL,
    actor_id       uuid,
    actor_role     text NOT NULL,
    reason         text,
    details        jsonb NOT NULL DEFAULT '{}',
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificate_audit_certificate ON certificate_audit (certificate_id, id);

CREATE FUNCTION certificate_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'certificate_audit is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER certificate_audit_append_only BEFORE UPDATE OR DELETE ON certificate_audit
    FOR EACH ROW EXECUTE FUNCTION certificate_audit_append_only();
