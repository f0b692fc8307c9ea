-- Exposed subjects per variant of every running experiment since it started: what the scheduled
-- sample-ratio check compares with the configured weights. A subject counts once, in the variant
-- of its first exposure (as in reports).
-- params: none
-- grain: (experiment, variant)
WITH running AS (
    SELECT key, started_at FROM experiments WHERE status = 'running'
),
first_exposure AS (
    SELECT x.experiment, x.subject_id, arg_min(x.variant, x.ts) AS variant
    FROM exposures x
    JOIN running r ON r.key = x.experiment AND x.ts >= r.started_at
    GROUP BY x.experiment, x.subject_id
)
SELECT experiment, variant, count(*) AS subjects
FROM first_exposure
GROUP BY experiment, variant
ORDER BY experiment, variant
