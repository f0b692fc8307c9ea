-- Every hot decision visible to the flush transaction (the rows it will move to the lake).
-- params: none
-- grain: decision row
SELECT decision_id, decided_at, subject_id, flag, reason, CAST(value AS VARCHAR) AS value, experiment,
       experiment_version, variant
FROM decisions_hot
