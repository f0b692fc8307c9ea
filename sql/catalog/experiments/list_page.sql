-- Experiments at their current version, newest first, optionally by status and flag; keyset paging.
-- params: status VARCHAR|null; flag VARCHAR|null; after_created TIMESTAMP|null; after_key VARCHAR; limit INTEGER
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
WHERE ($status IS NULL OR e.status = $status)
  AND ($flag IS NULL OR e.flag = $flag)
  AND ($after_created IS NULL
       OR e.created_at < $after_created
       OR (e.created_at = $after_created AND e.key < $after_key))
ORDER BY e.created_at DESC, e.key DESC
LIMIT $limit
