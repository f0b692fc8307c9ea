-- Removes a notification rule (its deliveries stay in the log).
-- params: id VARCHAR
DELETE FROM notification_rules WHERE id = $id
