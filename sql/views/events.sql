-- Accepted events, one row per event_id: the first accepted copy wins (earliest received_at, then
-- the other columns, so the choice is deterministic), so a duplicate that slipped past ingest
-- never changes a report.
-- params: none
-- grain: event (event_id)
-- Only ids stored more than once need ranking: `repeated` (one pass over the 64-bit hashes of the
-- ids) names them, and a hash collision merely sends a unique id through the exact ranking too.
-- Every other copy passes as it is, so filters on this view reach the scans below it.
-- `first_copy` ranks the copies of the repeated ids once: the statements that spell this view out
-- (attributed_events, pending_events, the report) read `event` several times, and a ranking in
-- `event` itself ran again, over a scan of every stored row, at each read.
WITH repeated AS MATERIALIZED (
    SELECT hash(event_id) AS id_hash FROM stored_events GROUP BY id_hash HAVING count(*) > 1
),
first_copy AS MATERIALIZED (
    SELECT * FROM stored_events WHERE hash(event_id) IN (SELECT id_hash FROM repeated)
    QUALIFY row_number() OVER (
        PARTITION BY event_id
        ORDER BY received_at, ts, event_type, decision_id, subject_id, properties
    ) = 1
)
SELECT * FROM stored_events WHERE hash(event_id) NOT IN (SELECT id_hash FROM repeated)
UNION ALL
SELECT * FROM first_copy
