-- Users, newest first, one page (keyset on created_at, id).
-- params: after_created TIMESTAMP (null: first page); after_id VARCHAR; limit INTEGER
-- grain: user
SELECT id, name, role, created_at, updated_at
FROM users
WHERE $after_created IS NULL
   OR created_at < $after_created
   OR (created_at = $after_created AND id < $after_id)
ORDER BY created_at DESC, id DESC
LIMIT $limit
