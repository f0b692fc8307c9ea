-- Accepted events, one row per event_id: the first accepted copy wins (earliest received_at, then
-- the other columns, so the choice is deterministic), so a duplicate that slipped past ingest
-- never changes a report. Today only the hot tail; the lake flush adds its files here.
-- params: none
-- grain: event (event_id)
SELECT event_id, event_type, decision_id, subject_id, flag, experiment, experiment_version, variant,
       ts, received_at, properties
FROM events_hot
QUALIFY row_number() OVER (
    PARTITION BY event_id
    ORDER BY received_at, ts, event_type, decision_id, subject_id, CAST(properties AS VARCHAR)
) = 1
