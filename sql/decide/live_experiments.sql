-- Running and paused experiments at their current version with variants in order, for the
-- decide snapshot (at most one per flag).
-- params: none
-- grain: experiment
SELECT e.key, e.flag, e.status, e.version, e.started_at, v.traffic, v.targeting, v.domains, v.priority,
       (SELECT list({'name': x.name, 'value': x.value, 'weight': x.weight} ORDER BY x.position)
        FROM experiment_variants AS x
        WHERE x.experiment = e.key AND x.version = e.version) AS variants
FROM experiments AS e
JOIN experiment_versions AS v ON v.experiment = e.key AND v.version = e.version
WHERE e.status IN ('running', 'paused')
ORDER BY e.key
