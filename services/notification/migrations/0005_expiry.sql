-- When the message stops being worth sending (a sign-in code's expiry): the dispatcher never
-- sends a row after it, whatever retry or rate limit held it back.
ALTER TABLE notifications ADD COLUMN expires_at timestamptz;
