-- One notification rule.
-- params: id VARCHAR
-- grain: rule
SELECT id, event, scope_kind, scope_key, channel, rate_limit_per_hour, dedup_minutes, created_by,
       created_at, updated_at
FROM notification_rules WHERE id = $id
