-- The rule's latest pending or sent delivery of the same event (dedup key) since a time, if any.
-- params: rule VARCHAR; dedup_key VARCHAR; since TIMESTAMP
-- grain: delivery
SELECT id FROM notification_deliveries
WHERE rule = $rule AND dedup_key = $dedup_key AND status IN ('pending', 'sent') AND created_at > $since
ORDER BY created_at DESC, id DESC
LIMIT 1
