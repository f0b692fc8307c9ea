-- Archives an event type: its events are rejected from then on.
-- params: key VARCHAR; now TIMESTAMP
UPDATE event_types SET archived = true, updated_at = $now WHERE key = $key
