-- Flags, newest first, one page (keyset on created_at, key).
-- params: after_created TIMESTAMP (null: first page); after_key VARCHAR; limit INTEGER
-- grain: flag
SELECT key, type, default_value, description, created_at, updated_at
FROM flags
WHERE $after_created IS NULL
   OR created_at < $after_created
   OR (created_at = $after_created AND key < $after_key)
ORDER BY created_at DESC, key DESC
LIMIT $limit
