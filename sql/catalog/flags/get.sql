-- One flag by key.
-- params: key VARCHAR
-- grain: flag
SELECT key, type, default_value, description, created_at, updated_at FROM flags WHERE key = $key
