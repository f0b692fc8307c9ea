-- Writes one immutable version of an experiment's definition.
-- params: experiment VARCHAR; version INTEGER; name VARCHAR; hypothesis VARCHAR; traffic DECIMAL(5,2);
--         targeting VARCHAR; primary_metric VARCHAR; metrics VARCHAR[]; domains VARCHAR[]; priority INTEGER;
--         created_by VARCHAR; now TIMESTAMP
INSERT INTO experiment_versions (experiment, version, name, hypothesis, traffic, targeting, primary_metric,
                                 metrics, domains, priority, created_by, created_at)
VALUES ($experiment, $version, $name, $hypothesis, $traffic, $targeting, $primary_metric,
        $metrics, $domains, $priority, $created_by, $now)
