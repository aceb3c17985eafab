-- The enrollment service's own tables.
SELECT 1;
