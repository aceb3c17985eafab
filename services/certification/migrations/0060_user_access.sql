-- Revoked access announced by enrollment (user.access_changed): a token of the user with an
-- older version, or any token while disabled, is refused (shared/access.py reads this table).
CREATE TABLE user_access (
    user_id       uuid PRIMARY KEY,
    token_version integer     NOT NULL,
    disabled      boolean     NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- Every process of the service re-reads the table when a change commits.
CREATE FUNCTION user_access_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jiangxin_user_access', '');
    RETURN NULL;
END $$;
CREATE TRIGGER user_access_notify AFTER INSERT OR UPDATE ON user_access
    FOR EACH STATEMENT EXECUTE FUNCTION user_access_notify();
