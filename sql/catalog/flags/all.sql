-- Every flag (for the decide snapshot).
-- params: none
-- grain: flag
SELECT key, type, default_value, description, created_at, updated_at FROM flags ORDER BY key
