-- Events of requires_exposure types not attributed (see attributed_events): no exposure with the
-- same decision_id was received within 7 days of the event's received_at.
-- params: none
-- grain: event (event_id)
-- attributable_until ends that window: rows with attributable_until still ahead are waiting, rows
-- past it never count. The view stays a pure function of stored rows: it never reads the clock.
WITH first_exposure AS (
    SELECT decision_id, min(received_at) AS exposed_at
    FROM exposures
    GROUP BY decision_id
)
SELECT e.event_id, e.event_type, e.decision_id, e.subject_id, e.flag, e.experiment,
       e.experiment_version, e.variant, e.ts, e.received_at, e.properties,
       e.received_at + INTERVAL 7 DAY AS attributable_until
FROM events AS e
JOIN event_types AS t ON t.key = e.event_type
LEFT JOIN first_exposure AS x ON x.decision_id = e.decision_id
WHERE t.requires_exposure
  AND (x.exposed_at IS NULL OR x.exposed_at > e.received_at + INTERVAL 7 DAY)
