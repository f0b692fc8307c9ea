-- Creates one flag.
-- params: key VARCHAR; type VARCHAR; default_value JSON; description VARCHAR; now TIMESTAMP
INSERT INTO flags (key, type, default_value, description, created_at, updated_at)
VALUES ($key, $type, $default_value, $description, $now, $now)
