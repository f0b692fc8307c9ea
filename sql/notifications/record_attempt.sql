-- The outcome of one delivery attempt: sent, failed for good, or pending with its next attempt.
-- params: id VARCHAR; status VARCHAR; attempts INTEGER; next_attempt_at TIMESTAMP|null;
--         last_error VARCHAR|null; response_status INTEGER|null; sent_at TIMESTAMP|null; now TIMESTAMP
UPDATE notification_deliveries
SET status = $status, attempts = $attempts, next_attempt_at = $next_attempt_at, last_error = $last_error,
    response_status = $response_status, sent_at = $sent_at, updated_at = $now
WHERE id = $id AND status = 'pending'
