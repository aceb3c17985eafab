-- The notification ledger: one row per (source message, recipient, channel), claimed before
-- any provider call; the row id is what providers echo back (OutId, SessionContext, Message-ID).
CREATE TABLE notifications (
    id                  uuid        PRIMARY KEY,
    source_message_id   uuid        NOT NULL,
    source_type         text        NOT NULL,
    aggregate_id        text        NOT NULL,
    seq                 integer,
    channel             text        NOT NULL CHECK (channel IN ('sms', 'email')),
    recipient           text        NOT NULL,
    recipient_masked    text        NOT NULL,
    recipient_user_id   uuid,
    pref_key            text        NOT NULL,
    locale              text        NOT NULL,
    timezone            text        NOT NULL,
    critical            boolean     NOT NULL DEFAULT false,
    status              text        NOT NULL CHECK (status IN (
                            'queued', 'deferred', 'sending', 'submitted', 'delivered', 'failed',
                            'unknown', 'superseded', 'coalesced', 'suppressed')),
    not_before          timestamptz NOT NULL,
    attempts            integer     NOT NULL DEFAULT 0,
    provider            text,
    provider_message_id text,
    subject             text,
    body                text        NOT NULL,
    params              jsonb       NOT NULL DEFAULT '[]'::jsonb,
    variables           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    chars               integer,
    segments            integer,
    content_hash        text        NOT NULL,
    fallbacks           jsonb       NOT NULL DEFAULT '[]'::jsonb,
    fallback_of         uuid,
    related_id          uuid,
    unsubscribe_token   text UNIQUE,
    error_code          text,
    last_error          text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    submitted_at        timestamptz,
    delivered_at        timestamptz,
    failed_at           timestamptz,
    UNIQUE (source_message_id, recipient, channel)
);
CREATE INDEX notifications_due ON notifications (not_before) WHERE status IN ('queued', 'deferred');
CREATE INDEX notifications_pending_aggregate ON notifications (aggregate_id, seq)
    WHERE status IN ('queued', 'deferred');
CREATE INDEX notifications_recipient ON notifications (recipient, created_at DESC);
CREATE INDEX notifications_user ON notifications (recipient_user_id, created_at DESC)
    WHERE recipient_user_id IS NOT NULL;
CREATE INDEX notifications_provider_id ON notifications (provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX notifications_open ON notifications (status, updated_at)
    WHERE status IN ('sending', 'unknown', 'submitted');
CREATE INDEX notifications_created ON notifications (created_at);

-- Wake the dispatcher when a transaction that queued notifications commits.
CREATE FUNCTION notification_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jiangxin_notification_due', '');
    RETURN NULL;
END $$;
CREATE TRIGGER notification_notify AFTER INSERT ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notification_notify();

-- Every provider call made for a notification (what was tried, what came back).
CREATE TABLE notification_attempts (
    id               bigserial   PRIMARY KEY,
    notification_id  uuid        NOT NULL REFERENCES notifications (id),
    provider         text        NOT NULL,
    outcome          text        NOT NULL,
    code             text,
    detail           text,
    at               timestamptz NOT NULL
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id);

-- Delivery receipts, de-duplicated per provider and report.
CREATE TABLE receipts (
    provider         text        NOT NULL,
    receipt_key      text        NOT NULL,
    notification_id  uuid,
    delivered        boolean     NOT NULL,
    code             text,
    received_at      timestamptz NOT NULL,
    payload          jsonb       NOT NULL,
    PRIMARY KEY (provider, receipt_key)
);

-- The highest state seen per aggregate (enrolment, certificate): older news is stale.
CREATE TABLE aggregate_versions (
    aggregate_id  text    PRIMARY KEY,
    seq           integer NOT NULL
);

-- Channel preferences per user (user:<uuid>) or, without an account, per phone (phone:<e164>).
CREATE TABLE preferences (
    pref_key    text        PRIMARY KEY,
    user_id     uuid,
    sms         boolean     NOT NULL DEFAULT true,
    email       boolean     NOT NULL DEFAULT true,
    preferred   text        NOT NULL DEFAULT 'sms' CHECK (preferred IN ('sms', 'email')),
    updated_at  timestamptz NOT NULL
);

-- What the `sink` provider "sent" (local runs and tests): shown at /dev/inbox.
CREATE TABLE sink_messages (
    id               bigserial   PRIMARY KEY,
    notification_id  uuid        NOT NULL UNIQUE,
    channel          text        NOT NULL,
    recipient        text        NOT NULL,
    event_type       text        NOT NULL,
    subject          text,
    body             text        NOT NULL,
    code             text,
    created_at       timestamptz NOT NULL
);
CREATE INDEX sink_messages_recipient ON sink_messages (recipient, id DESC);
