-- Every event type with its property schema, archived ones included, for the ingest validator.
-- params: none
-- grain: event type
SELECT key, requires_exposure, archived, properties FROM event_types ORDER BY key
