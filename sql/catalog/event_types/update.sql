-- Changes an event type's description, exposure requirement and property schema.
-- params: key VARCHAR; description VARCHAR; requires_exposure BOOLEAN; properties JSON; now TIMESTAMP
UPDATE event_types
SET description = $description, requires_exposure = $requires_exposure, properties = $properties, updated_at = $now
WHERE key = $key
