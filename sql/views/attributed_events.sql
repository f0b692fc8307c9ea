-- Events that count in reports (SPEC §4 attribution), derived from stored rows, never a mutation.
-- params: none
-- grain: event (event_id)
-- - an event of a type that does not require an exposure (exposures themselves included) counts
--   as it is;
-- - an event of a requires_exposure type counts once an exposure with the same decision_id was
--   received no later than 7 days after the event was received (exposure.received_at <=
--   event.received_at + 7 days; an exposure received earlier always qualifies).
-- exposed_at is the first exposure of the event's decision_id (NULL when there is none).
-- Every requires_exposure event is in exactly one of attributed_events and pending_events.
-- `event` is the `events` view spelled out (see events.sql), so that the events and the exposures
-- read here share one `repeated` pass and one ranking of the repeated ids' copies (`first_copy`)
-- instead of running them twice.
WITH repeated AS MATERIALIZED (
    SELECT hash(event_id) AS id_hash FROM stored_events GROUP BY id_hash HAVING count(*) > 1
),
first_copy AS MATERIALIZED (
    SELECT * FROM stored_events WHERE hash(event_id) IN (SELECT id_hash FROM repeated)
    QUALIFY row_number() OVER (
        PARTITION BY event_id
        ORDER BY received_at, ts, event_type, decision_id, subject_id, properties
    ) = 1
),
event AS NOT MATERIALIZED (
    SELECT * FROM stored_events WHERE hash(event_id) NOT IN (SELECT id_hash FROM repeated)
    UNION ALL
    SELECT * FROM first_copy
),
first_exposure AS (
    SELECT decision_id, min(received_at) AS exposed_at
    FROM event
    WHERE event_type = 'exposure'
    GROUP BY decision_id
)
SELECT e.event_id, e.event_type, e.decision_id, e.subject_id, e.flag, e.experiment,
       e.experiment_version, e.variant, e.ts, e.received_at, e.properties,
       t.requires_exposure, x.exposed_at
FROM event AS e
JOIN event_types AS t ON t.key = e.event_type
LEFT JOIN first_exposure AS x ON x.decision_id = e.decision_id
WHERE NOT t.requires_exposure
   OR x.exposed_at <= e.received_at + INTERVAL 7 DAY
