-- Another rule sending the same event with the same scope to the same channel.
-- params: event VARCHAR; scope_kind VARCHAR|null; scope_key VARCHAR|null; channel VARCHAR;
--         exclude_id VARCHAR|null
-- grain: rule
SELECT id FROM notification_rules
WHERE event = $event AND channel = $channel
  AND scope_kind IS NOT DISTINCT FROM $scope_kind AND scope_key IS NOT DISTINCT FROM $scope_key
  AND ($exclude_id IS NULL OR id <> $exclude_id)
