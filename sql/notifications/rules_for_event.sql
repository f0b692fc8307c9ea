-- Every rule listening to one event, oldest first (deliveries are queued in that order).
-- params: event VARCHAR
-- grain: rule
SELECT id, event, scope_kind, scope_key, channel, rate_limit_per_hour, dedup_minutes, created_by,
       created_at, updated_at
FROM notification_rules WHERE event = $event
ORDER BY created_at, id
