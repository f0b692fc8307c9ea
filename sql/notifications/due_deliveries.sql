-- Pending deliveries whose next attempt is due, oldest first, with their channel (NULL if deleted).
-- params: now TIMESTAMP; limit INTEGER
-- grain: delivery
SELECT d.id, d.rule, d.channel, d.event, d.experiment, d.payload, d.attempts, c.type AS channel_type,
       c.config AS channel_config
FROM notification_deliveries d
LEFT JOIN notification_channels c ON c.key = d.channel
WHERE d.status = 'pending' AND d.next_attempt_at <= $now
ORDER BY d.next_attempt_at, d.created_at, d.id
LIMIT $limit
