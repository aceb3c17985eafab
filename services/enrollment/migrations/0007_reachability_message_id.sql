-- Which report set each reachability row: of two reports with the same occurred_at the one with
-- the larger message id (UUIDv7, time-ordered) wins, whichever arrives first. Rows written
-- before this column existed lose every tie.
ALTER TABLE reachability ADD COLUMN message_id uuid;
