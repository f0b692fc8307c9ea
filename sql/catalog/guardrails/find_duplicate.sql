-- Another guardrail of the experiment with the same rule (metric, operator, threshold, window, action).
-- params: experiment VARCHAR; metric VARCHAR; operator VARCHAR; threshold DOUBLE; window_minutes INTEGER;
--         action VARCHAR; exclude_id VARCHAR|null
-- grain: guardrail
SELECT id FROM guardrails
WHERE experiment = $experiment AND metric = $metric AND operator = $operator AND threshold = $threshold
  AND window_minutes = $window_minutes AND action = $action
  AND ($exclude_id IS NULL OR id <> $exclude_id)
