-- Every version of one experiment, newest first; keyset on the version number.
-- params: key VARCHAR; before_version INTEGER|null; limit INTEGER
-- grain: experiment version
SELECT v.experiment, v.version, v.name, v.hypothesis, v.traffic, v.targeting, v.primary_metric, v.metrics,
       v.domains, v.priority, v.created_by, v.created_at,
       (SELECT list({'name': x.name, 'value': x.value, 'weight': x.weight, 'control': x.control}
                    ORDER BY x.position)
        FROM experiment_variants AS x
        WHERE x.experiment = v.experiment AND x.version = v.version) AS variants
FROM experiment_versions AS v
WHERE v.experiment = $key AND ($before_version IS NULL OR v.version < $before_version)
ORDER BY v.version DESC
LIMIT $limit
