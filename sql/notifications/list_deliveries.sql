-- Deliveries, newest first, optionally filtered; keyset on (created_at, id).
-- params: status VARCHAR|null; event VARCHAR|null; channel VARCHAR|null; rule VARCHAR|null;
--         experiment VARCHAR|null; after_created TIMESTAMP|null; after_id VARCHAR; limit INTEGER
-- grain: delivery
SELECT id, rule, channel, event, experiment, status, attempts, next_attempt_at, last_error, response_status,
       created_at, updated_at, sent_at, payload
FROM notification_deliveries
WHERE ($status IS NULL OR status = $status)
  AND ($event IS NULL OR event = $event)
  AND ($channel IS NULL OR channel = $channel)
  AND ($rule IS NULL OR rule = $rule)
  AND ($experiment IS NULL OR experiment = $experiment)
  AND ($after_created IS NULL
       OR created_at < $after_created
       OR (created_at = $after_created AND id < $after_id))
ORDER BY created_at DESC, id DESC
LIMIT $limit
