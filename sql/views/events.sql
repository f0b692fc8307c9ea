-- Accepted events, one row per event_id: the first accepted copy wins (earliest received_at, then
-- the other columns, so the choice is deterministic), so a duplicate that slipped past ingest
-- never changes a report. Reads the hot tail and the lake (the DuckDB variable lake_events).
-- params: none
-- grain: event (event_id)
SELECT event_id, event_type, decision_id, subject_id, flag, experiment, experiment_version, variant,
       ts, received_at, properties
FROM (
    SELECT event_id, event_type, decision_id, subject_id, flag, experiment, experiment_version, variant,
           ts, received_at, CAST(properties AS VARCHAR) AS properties
    FROM events_hot
    UNION ALL
    SELECT event_id, event_type, decision_id, subject_id, flag, experiment, experiment_version, variant,
           ts, received_at, properties
    FROM read_parquet(getvariable('lake_events'))
) AS hot_and_lake
QUALIFY row_number() OVER (
    PARTITION BY event_id
    ORDER BY received_at, ts, event_type, decision_id, subject_id, properties
) = 1
