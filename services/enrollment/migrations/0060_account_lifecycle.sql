-- Staff account lifecycle (issue 15): a token carries the user's token_version when minted;
-- disabling, a password change or reset and a role change raise it, ending older tokens.
ALTER TABLE users
    ADD COLUMN token_version        integer NOT NULL DEFAULT 0,
    ADD COLUMN disabled_at          timestamptz,
    -- Set by an administrator's reset: sign-in is refused until the user picks a new one.
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- What every process keeps in memory (shared/access.py): the few users with a revocation.
CREATE INDEX users_revoked ON users (id) INCLUDE (token_version, disabled_at)
    WHERE token_version > 0 OR disabled_at IS NOT NULL;

CREATE FUNCTION users_access_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jiangxin_user_access', '');
    RETURN NULL;
END $$;
CREATE TRIGGER users_access_notify AFTER UPDATE OF token_version, disabled_at ON users
    FOR EACH STATEMENT EXECUTE FUNCTION users_access_notify();
