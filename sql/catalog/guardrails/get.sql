-- One guardrail of one experiment.
-- params: id VARCHAR; experiment VARCHAR
-- grain: guardrail
SELECT id, experiment, metric, operator, threshold, window_minutes, action, min_samples, created_at, updated_at
FROM guardrails WHERE id = $id AND experiment = $experiment
