-- Ids of events accepted since a time, to rebuild the ingest dedup index at start-up. Reads the raw
-- hot table (duplicates included, no dedup window needed); the lake flush adds its files here.
-- params: since TIMESTAMP (incl, received_at)
-- grain: stored event row
SELECT event_id, received_at FROM events_hot WHERE received_at >= $since
