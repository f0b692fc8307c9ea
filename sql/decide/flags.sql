-- Every flag with its type and default, for the decide snapshot.
-- params: none
-- grain: flag
SELECT key, type, default_value FROM flags ORDER BY key
