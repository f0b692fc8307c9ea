-- Notification rules, newest first; keyset on (created_at, id).
-- params: after_created TIMESTAMP|null; after_id VARCHAR; limit INTEGER
-- grain: rule
SELECT id, event, scope_kind, scope_key, channel, rate_limit_per_hour, dedup_minutes, created_by,
       created_at, updated_at
FROM notification_rules
WHERE $after_created IS NULL
   OR created_at < $after_created
   OR (created_at = $after_created AND id < $after_id)
ORDER BY created_at DESC, id DESC
LIMIT $limit
