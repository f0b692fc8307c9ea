-- Creates one notification channel.
-- params: key VARCHAR; type VARCHAR; config JSON; created_by VARCHAR; now TIMESTAMP
INSERT INTO notification_channels (key, type, config, created_by, created_at, updated_at)
VALUES ($key, $type, $config, $created_by, $now, $now)
