-- Changes a flag's default value and description (its type never changes).
-- params: key VARCHAR; default_value JSON; description VARCHAR; now TIMESTAMP
UPDATE flags SET default_value = $default_value, description = $description, updated_at = $now WHERE key = $key
