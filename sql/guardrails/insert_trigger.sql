-- Records one guardrail trigger (in the transaction that acts on it, or right after).
-- params: id VARCHAR; experiment VARCHAR; guardrail VARCHAR; variant VARCHAR; metric VARCHAR;
--         operator VARCHAR; threshold DOUBLE; window_minutes INTEGER; action VARCHAR;
--         observed_value DOUBLE; samples BIGINT; triggered_at TIMESTAMP
INSERT INTO guardrail_triggers (id, experiment, guardrail, variant, metric, operator, threshold,
                                window_minutes, action, observed_value, samples, triggered_at)
VALUES ($id, $experiment, $guardrail, $variant, $metric, $operator, $threshold, $window_minutes, $action,
        $observed_value, $samples, $triggered_at)
