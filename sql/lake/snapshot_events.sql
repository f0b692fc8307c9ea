-- Every hot event visible to the flush transaction (the rows it will move to the lake).
-- params: none
-- grain: event row
SELECT event_id, event_type, decision_id, subject_id, flag, experiment, experiment_version, variant, ts,
       received_at, CAST(properties AS VARCHAR) AS properties
FROM events_hot
