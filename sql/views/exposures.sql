-- Exposure events (the built-in type `exposure`): a subject saw the value its decision gave it.
-- params: none
-- grain: event (event_id)
SELECT event_id, event_type, decision_id, subject_id, flag, experiment, experiment_version, variant,
       ts, received_at, properties
FROM events
WHERE event_type = 'exposure'
