-- Replaces a channel's configuration.
-- params: key VARCHAR; config JSON; now TIMESTAMP
UPDATE notification_channels SET config = $config, updated_at = $now WHERE key = $key
