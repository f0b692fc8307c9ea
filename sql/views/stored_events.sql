-- Every stored copy of every accepted event: the hot tail and the lake (the DuckDB variable
-- lake_events), duplicates included. Reports read `events` and the views over it, never this.
-- params: none
-- grain: stored event row (an event_id that slipped past ingest twice has two)
SELECT event_id, event_type, decision_id, subject_id, flag, experiment, experiment_version, variant,
       ts, received_at, CAST(properties AS VARCHAR) AS properties
FROM events_hot
UNION ALL
SELECT event_id, event_type, decision_id, subject_id, flag, experiment, experiment_version, variant,
       ts, received_at, properties
FROM read_parquet(getvariable('lake_events'))
