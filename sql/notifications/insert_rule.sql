-- Creates one notification rule.
-- params: id VARCHAR; event VARCHAR; scope_kind VARCHAR|null; scope_key VARCHAR|null; channel VARCHAR;
--         rate_limit_per_hour INTEGER|null; dedup_minutes INTEGER; created_by VARCHAR; now TIMESTAMP
INSERT INTO notification_rules (id, event, scope_kind, scope_key, channel, rate_limit_per_hour, dedup_minutes,
                                created_by, created_at, updated_at)
VALUES ($id, $event, $scope_kind, $scope_key, $channel, $rate_limit_per_hour, $dedup_minutes,
        $created_by, $now, $now)
