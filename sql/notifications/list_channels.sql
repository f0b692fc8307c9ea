-- Notification channels, newest first; keyset on (created_at, key).
-- params: after_created TIMESTAMP|null; after_key VARCHAR; limit INTEGER
-- grain: channel
SELECT key, type, config, created_by, created_at, updated_at
FROM notification_channels
WHERE $after_created IS NULL
   OR created_at < $after_created
   OR (created_at = $after_created AND key < $after_key)
ORDER BY created_at DESC, key DESC
LIMIT $limit
