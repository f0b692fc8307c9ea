-- Running or paused experiments that use a metric, in their metric list or in a guardrail.
-- params: metric VARCHAR
-- grain: (experiment, use)
SELECT e.key AS experiment, 'guardrail' AS used_as
FROM guardrails AS g JOIN experiments AS e ON e.key = g.experiment
WHERE g.metric = $metric AND e.status IN ('running', 'paused')
UNION ALL
SELECT e.key AS experiment, 'metric' AS used_as
FROM experiments AS e
JOIN experiment_versions AS v ON v.experiment = e.key AND v.version = e.version
WHERE e.status IN ('running', 'paused') AND list_contains(v.metrics, $metric)
ORDER BY experiment, used_as
