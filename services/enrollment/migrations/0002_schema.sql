-- Identity, catalogue, classes, enrolments, attendance, results and projections.

CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    role                text        NOT NULL CHECK (role IN ('trainee', 'trainer', 'admin')),
    phone               text        NOT NULL UNIQUE,  -- E.164
    name                text        NOT NULL DEFAULT '',
    email               text,
    locale              text        NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN', 'en')),
    union_member        boolean     NOT NULL DEFAULT false,
    employer            text,
    id_type             text CHECK (id_type IN
                        ('resident_id', 'passport', 'hk_macao_permit', 'taiwan_permit', 'other')),
    id_number_encrypted text,       -- Fernet token under the at-rest key
    id_number_masked    text,
    password_hash       text,       -- argon2id; trainers and administrators only
    claimed_at          timestamptz,  -- NULL: created by a roster import, never signed in
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX users_role ON users (role, id);

-- One-time sign-in codes: only an HMAC of the code is kept.
CREATE TABLE otp_codes (
    id          bigserial PRIMARY KEY,
    phone       text        NOT NULL,
    code_hash   text        NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0,
    used_at     timestamptz
);
CREATE INDEX otp_codes_phone ON otp_codes (phone, created_at DESC);

CREATE TABLE courses (
    id                          uuid PRIMARY KEY,
    code                        text        NOT NULL UNIQUE,
    title_zh                    text        NOT NULL,
    title_en                    text        NOT NULL,
    category                    text        NOT NULL,
    occupation_code             text,
    occupation_name             text        NOT NULL,
    work_type                   text,
    level                       smallint CHECK (level BETWEEN 1 AND 5),
    required_hours              numeric(7, 1) NOT NULL CHECK (required_hours > 0),
    theory_pass                 numeric(5, 1) NOT NULL DEFAULT 60,
    practical_pass              numeric(5, 1) NOT NULL DEFAULT 60,
    certificate_validity_months integer,
    issue_policy                text        NOT NULL DEFAULT 'auto'
                                CHECK (issue_policy IN ('auto', 'approval')),
    attendance_threshold        numeric(4, 3) NOT NULL DEFAULT 0.8,
    description                 text        NOT NULL DEFAULT '',
    created_at                  timestamptz NOT NULL
);
CREATE INDEX courses_category ON courses (category, id);

CREATE TABLE classes (
    id                   uuid PRIMARY KEY,
    course_id            uuid        NOT NULL REFERENCES courses (id),
    name                 text        NOT NULL DEFAULT '',
    trainer_ids          uuid[]      NOT NULL DEFAULT '{}',
    starts_on            date        NOT NULL,
    ends_on              date        NOT NULL,
    class_days           date[]      NOT NULL,
    session_start        time,
    hours_per_day        numeric(5, 2) NOT NULL CHECK (hours_per_day > 0),
    venue                text        NOT NULL,
    online               boolean     NOT NULL DEFAULT false,
    capacity             integer     NOT NULL CHECK (capacity > 0),
    -- Booked under the class row lock: seats held (confirmed, offered and later states),
    -- the live waitlist and a booking counter whose order is the commit order.
    seats_taken          integer     NOT NULL DEFAULT 0,
    waitlist_length      integer     NOT NULL DEFAULT 0,
    bookings             integer     NOT NULL DEFAULT 0,
    enroll_opens_at      timestamptz NOT NULL,
    enroll_closes_at     timestamptz NOT NULL,
    waitlist_policy      text        NOT NULL DEFAULT 'auto_promote'
                         CHECK (waitlist_policy IN ('auto_promote', 'offer')),
    offer_hours          integer     NOT NULL DEFAULT 24 CHECK (offer_hours > 0),
    union_members_only   boolean     NOT NULL DEFAULT false,
    attendance_threshold numeric(4, 3),
    status               text        NOT NULL DEFAULT 'scheduled'
                         CHECK (status IN ('scheduled', 'cancelled')),
    cancel_reason        text,
    results_released_at  timestamptz,
    created_at           timestamptz NOT NULL,
    CHECK (ends_on >= starts_on),
    CHECK (enroll_closes_at > enroll_opens_at),
    -- The last line of defence: a seat that does not exist can never be booked.
    CHECK (seats_taken >= 0 AND seats_taken <= capacity),
    CHECK (waitlist_length >= 0)
);
CREATE INDEX classes_course ON classes (course_id, starts_on);
CREATE INDEX classes_starts ON classes (starts_on, id);
CREATE INDEX classes_trainers ON classes USING gin (trainer_ids);

CREATE TABLE enrollments (
    id                 uuid PRIMARY KEY,
    class_id           uuid        NOT NULL REFERENCES classes (id),
    trainee_id         uuid        NOT NULL REFERENCES users (id),
    status             text        NOT NULL CHECK (status IN ('confirmed', 'waitlisted',
                       'offered', 'cancelled', 'attended', 'completed', 'no_show')),
    via                text        NOT NULL CHECK (via IN ('self', 'bulk', 'admin')),
    booking_no         integer     NOT NULL,
    offer_expires_at   timestamptz,
    cancel_reason      text,
    seq                integer     NOT NULL DEFAULT 1,
    theory_score       numeric(5, 2) CHECK (theory_score BETWEEN 0 AND 100),
    practical_score    numeric(5, 2) CHECK (practical_score BETWEEN 0 AND 100),
    passed             boolean,
    result_version     integer     NOT NULL DEFAULT 0,
    result_fingerprint text,
    released_at        timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    UNIQUE (class_id, booking_no)
);
-- One live enrolment per trainee and class; concurrent duplicates wait here and fail.
CREATE UNIQUE INDEX enrollments_one_live ON enrollments (class_id, trainee_id)
    WHERE status <> 'cancelled';
CREATE INDEX enrollments_waitlist ON enrollments (class_id, booking_no)
    WHERE status = 'waitlisted';
CREATE INDEX enrollments_trainee ON enrollments (trainee_id, created_at DESC);
CREATE INDEX enrollments_offers ON enrollments (offer_expires_at) WHERE status = 'offered';
CREATE INDEX enrollments_created ON enrollments (created_at);

-- Append-only audit: one row per event emitted for an enrolment (who, when, why).
CREATE TABLE enrollment_history (
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id),
    seq           integer     NOT NULL,
    event_type    text        NOT NULL,
    from_status   text,
    to_status     text        NOT NULL,
    actor_id      uuid,
    actor_role    text        NOT NULL,
    reason        text,
    at            timestamptz NOT NULL,
    PRIMARY KEY (enrollment_id, seq)
);

CREATE FUNCTION enrollment_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'enrollment_history is append-only';
END $$;
CREATE TRIGGER enrollment_history_append_only BEFORE UPDATE OR DELETE ON enrollment_history
    FOR EACH ROW EXECUTE FUNCTION enrollment_history_append_only();

-- Idempotency-Key: stored with the response in the transaction that did the work.
CREATE TABLE idempotency_keys (
    user_id     uuid        NOT NULL,
    key         text        NOT NULL,
    fingerprint text        NOT NULL,
    status      integer,
    response    text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE attendance (
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id),
    class_day     date        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('present', 'late', 'excused', 'absent')),
    marked_by     uuid,
    marked_at     timestamptz NOT NULL,
    PRIMARY KEY (enrollment_id, class_day)
);

-- One reminder per enrolment and class start date, whichever instance gets there first.
CREATE TABLE reminders (
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id),
    class_date    date        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enrollment_id, class_date)
);

-- Projection of certification's events: certificate numbers for the roster and export.
CREATE TABLE certificates (
    certificate_id uuid PRIMARY KEY,
    enrollment_id  uuid        NOT NULL,
    number         text        NOT NULL,
    status         text        NOT NULL,
    reason         text,
    seq            integer     NOT NULL,
    issued_on      date        NOT NULL,
    expires_on     date,
    replaces       uuid,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_enrollment ON certificates (enrollment_id);

-- Projection of notification outcomes: was the trainee reachable on each channel?
CREATE TABLE reachability (
    user_id     uuid        NOT NULL,
    channel     text        NOT NULL,
    delivered   boolean     NOT NULL,
    permanent   boolean     NOT NULL DEFAULT false,
    reason      text,
    source_type text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, channel)
);
