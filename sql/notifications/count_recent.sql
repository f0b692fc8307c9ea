-- How many deliveries the rule queued (not suppressed) since a time: what its rate limit counts.
-- params: rule VARCHAR; since TIMESTAMP
SELECT count(*) FROM notification_deliveries
WHERE rule = $rule AND status <> 'suppressed' AND created_at > $since
