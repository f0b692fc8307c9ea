-- The highest journal segment number ever applied (0 when none): new segments are numbered after it.
-- params: none
-- grain: one row
SELECT coalesce(max(segment), 0) FROM journal_applied
