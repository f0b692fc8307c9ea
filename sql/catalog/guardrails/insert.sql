-- Creates one guardrail rule of one experiment.
-- params: id VARCHAR; experiment VARCHAR; metric VARCHAR; operator VARCHAR; threshold DOUBLE;
--         window_minutes INTEGER; action VARCHAR; min_samples INTEGER; now TIMESTAMP
INSERT INTO guardrails (id, experiment, metric, operator, threshold, window_minutes, action, min_samples,
                        created_at, updated_at)
VALUES ($id, $experiment, $metric, $operator, $threshold, $window_minutes, $action, $min_samples, $now, $now)
