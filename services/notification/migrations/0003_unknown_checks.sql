-- When the provider was last asked about a row whose outcome is unknown.
ALTER TABLE notifications ADD COLUMN checked_at timestamptz;
