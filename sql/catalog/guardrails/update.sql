-- Changes a guardrail rule.
-- params: id VARCHAR; metric VARCHAR; operator VARCHAR; threshold DOUBLE; window_minutes INTEGER;
--         action VARCHAR; min_samples INTEGER; now TIMESTAMP
UPDATE guardrails
SET metric = $metric, operator = $operator, threshold = $threshold, window_minutes = $window_minutes,
    action = $action, min_samples = $min_samples, updated_at = $now
WHERE id = $id
