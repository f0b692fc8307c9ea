-- Guardrail triggers of one experiment, newest first; keyset on (triggered_at, id).
-- params: experiment VARCHAR; after_triggered TIMESTAMP|null; after_id VARCHAR; limit INTEGER
-- grain: trigger
SELECT id, experiment, guardrail, variant, metric, operator, threshold, window_minutes, action,
       observed_value, samples, triggered_at
FROM guardrail_triggers
WHERE experiment = $experiment
  AND ($after_triggered IS NULL
       OR triggered_at < $after_triggered
       OR (triggered_at = $after_triggered AND id < $after_id))
ORDER BY triggered_at DESC, id DESC
LIMIT $limit
