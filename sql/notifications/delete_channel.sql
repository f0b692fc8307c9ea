-- Removes a notification channel (the service first checks that no rule sends to it).
-- params: key VARCHAR
DELETE FROM notification_channels WHERE key = $key
