-- One experiment at its current version, variants in order.
-- params: key VARCHAR
-- grain: experiment
SELECT e.key, e.flag, e.status, e.version, e.owner, e.created_at, e.updated_at, e.started_at, e.ended_at,
       e.outcome, v.name, v.hypothesis, v.traffic, v.targeting, v.primary_metric, v.metrics, v.domains,
       v.priority,
       (SELECT list({'name': x.name, 'value': x.value, 'weight': x.weight, 'control': x.control}
                    ORDER BY x.position)
        FROM experiment_variants AS x
        WHERE x.experiment = e.key AND x.version = e.version) AS variants
FROM experiments AS e
JOIN experiment_versions AS v ON v.experiment = e.key AND v.version = e.version
WHERE e.key = $key
