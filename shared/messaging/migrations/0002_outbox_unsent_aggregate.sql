-- The relay's claim asks, for each pending row, "is an earlier row of this aggregate still
-- pending or parked?". Index exactly that set so the question is one index probe per row
-- (a nested-loop anti join in id order) instead of a hash join over the whole backlog.
DROP INDEX IF EXISTS outbox_pending_aggregate;
CREATE INDEX outbox_unsent_aggregate ON outbox (aggregate_id, id)
    WHERE status IN ('pending', 'parked');
