-- The certification service's own tables.
SELECT 1;
