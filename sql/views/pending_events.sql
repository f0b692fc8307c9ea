-- Events of requires_exposure types not attributed (see attributed_events): no exposure with the
-- same decision_id was received within 7 days of the event's received_at.
-- params: none
-- grain: event (event_id)
-- attributable_until ends that window: rows with attributable_until still ahead are waiting, rows
-- past it never count. The view stays a pure function of stored rows: it never reads the clock.
-- `event` is the `events` view spelled out, as in attributed_events.sql (one `repeated` pass).
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
       e.received_at + INTERVAL 7 DAY AS attributable_until
FROM event AS e
JOIN event_types AS t ON t.key = e.event_type
LEFT JOIN first_exposure AS x ON x.decision_id = e.decision_id
WHERE t.requires_exposure
  AND (x.exposed_at IS NULL OR x.exposed_at > e.received_at + INTERVAL 7 DAY)
