-- Whether a journal segment was already applied (1 row) or not (0 rows).
-- params: segment BIGINT
-- grain: segment
SELECT segment FROM journal_applied WHERE segment = $segment
