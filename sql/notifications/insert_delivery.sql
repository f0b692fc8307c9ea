-- Queues (status pending) or records (status suppressed) one rule's delivery of one event.
-- params: id VARCHAR; rule VARCHAR; channel VARCHAR; event VARCHAR; experiment VARCHAR|null;
--         dedup_key VARCHAR; payload JSON; status VARCHAR; next_attempt_at TIMESTAMP|null;
--         last_error VARCHAR|null; now TIMESTAMP
INSERT INTO notification_deliveries (id, rule, channel, event, experiment, dedup_key, payload, status, attempts,
                                     next_attempt_at, last_error, created_at, updated_at)
VALUES ($id, $rule, $channel, $event, $experiment, $dedup_key, $payload, $status, 0,
        $next_attempt_at, $last_error, $now, $now)
