-- Guardrails of one experiment, newest first; keyset on (created_at, id).
-- params: experiment VARCHAR; after_created TIMESTAMP|null; after_id VARCHAR; limit INTEGER
-- grain: guardrail
SELECT id, experiment, metric, operator, threshold, window_minutes, action, min_samples, created_at, updated_at
FROM guardrails
WHERE experiment = $experiment
  AND ($after_created IS NULL
       OR created_at < $after_created
       OR (created_at = $after_created AND id < $after_id))
ORDER BY created_at DESC, id DESC
LIMIT $limit
