-- One event type by key.
-- params: key VARCHAR
-- grain: event type
SELECT key, description, requires_exposure, properties, archived, builtin, created_at, updated_at
FROM event_types WHERE key = $key
