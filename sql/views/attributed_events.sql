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
WITH first_exposure AS (
    SELECT decision_id, min(received_at) AS exposed_at
    FROM exposures
    GROUP BY decision_id
)
SELECT e.event_id, e.event_type, e.decision_id, e.subject_id, e.flag, e.experiment,
       e.experiment_version, e.variant, e.ts, e.received_at, e.properties,
       t.requires_exposure, x.exposed_at
FROM events AS e
JOIN event_types AS t ON t.key = e.event_type
LEFT JOIN first_exposure AS x ON x.decision_id = e.decision_id
WHERE NOT t.requires_exposure
   OR x.exposed_at <= e.received_at + INTERVAL 7 DAY
