-- Forgets finished deliveries (sent, failed, suppressed) created before a time; pending ones stay.
-- params: before TIMESTAMP
DELETE FROM notification_deliveries WHERE status <> 'pending' AND created_at < $before
