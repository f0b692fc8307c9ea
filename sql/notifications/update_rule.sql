-- Changes a notification rule.
-- params: id VARCHAR; event VARCHAR; scope_kind VARCHAR|null; scope_key VARCHAR|null; channel VARCHAR;
--         rate_limit_per_hour INTEGER|null; dedup_minutes INTEGER; now TIMESTAMP
UPDATE notification_rules
SET event = $event, scope_kind = $scope_kind, scope_key = $scope_key, channel = $channel,
    rate_limit_per_hour = $rate_limit_per_hour, dedup_minutes = $dedup_minutes, updated_at = $now
WHERE id = $id
