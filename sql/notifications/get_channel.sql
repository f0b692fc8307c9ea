-- One notification channel, with its unmasked configuration (the service masks it for output).
-- params: key VARCHAR
-- grain: channel
SELECT key, type, config, created_by, created_at, updated_at FROM notification_channels WHERE key = $key
