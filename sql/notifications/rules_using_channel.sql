-- The rules that send to one channel.
-- params: channel VARCHAR
-- grain: rule
SELECT id FROM notification_rules WHERE channel = $channel ORDER BY id
