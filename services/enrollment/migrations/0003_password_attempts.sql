-- Password sign-in attempts (trainers, administrators) not known to have succeeded: each is
-- written before its password is checked and removed when it matches, so attempts still being
-- checked count too. Shared by every instance. The phone is kept only as a keyed hash.
CREATE TABLE password_failures (
    id          bigserial   PRIMARY KEY,
    phone_key   text        NOT NULL,
    client_ip   text        NOT NULL,
    failed_at   timestamptz NOT NULL
);
CREATE INDEX password_failures_phone ON password_failures (phone_key, failed_at);
CREATE INDEX password_failures_client ON password_failures (client_ip, failed_at);

-- Password sign-in of a phone or a client address is refused until locked_until; failures
-- before that moment no longer count once it has passed.
CREATE TABLE password_locks (
    scope         text        NOT NULL CHECK (scope IN ('phone', 'ip')),
    key           text        NOT NULL,
    locked_until  timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
