-- The journey of the event a message was made for: its outcome events and every log line
-- about sending it carry the same correlation id (causation: source_message_id).
ALTER TABLE notifications ADD COLUMN correlation_id text, ADD COLUMN traceparent text;
