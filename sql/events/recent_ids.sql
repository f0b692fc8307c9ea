-- Ids of events accepted since a time, to rebuild the ingest dedup index at start-up: the hot table
-- and the lake files (duplicates included: the index only needs every id once or more).
-- params: since TIMESTAMP (incl, received_at)
-- grain: stored event row
SELECT event_id, received_at FROM events_hot WHERE received_at >= $since
UNION ALL
SELECT event_id, received_at FROM read_parquet(getvariable('lake_events')) WHERE received_at >= $since
