-- Creates one event type.
-- params: key VARCHAR; description VARCHAR; requires_exposure BOOLEAN; properties JSON; now TIMESTAMP
INSERT INTO event_types (key, description, requires_exposure, properties, archived, builtin, created_at, updated_at)
VALUES ($key, $description, $requires_exposure, $properties, false, false, $now, $now)
