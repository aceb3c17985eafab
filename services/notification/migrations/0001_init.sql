-- The notification service's own tables.
SELECT 1;
