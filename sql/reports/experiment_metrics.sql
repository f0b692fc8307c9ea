-- The metrics a report of one experiment covers, with their definitions: the experiment's metrics
-- at its current version (in their order), then the metrics of its guardrails not already listed.
-- Its rows are the `metrics` parameter of reports/variant_statistics.
-- params: experiment VARCHAR
-- grain: metric
WITH listed AS (
    SELECT unnest(v.metrics) AS metric, generate_subscripts(v.metrics, 1) AS position
    FROM experiments AS e
    JOIN experiment_versions AS v ON v.experiment = e.key AND v.version = e.version
    WHERE e.key = $experiment
),
guarded AS (
    SELECT metric, 1000000 + row_number() OVER (ORDER BY min(created_at), metric) AS position
    FROM guardrails
    WHERE experiment = $experiment
    GROUP BY metric
),
wanted AS (
    SELECT metric, min(position) AS position, bool_or(position > 1000000) AS guardrail
    FROM (SELECT metric, position FROM listed UNION ALL SELECT metric, position FROM guarded)
    GROUP BY metric
)
SELECT m.key AS metric, m.kind, m.event_type, m.numerator, m.denominator, m.property, m.percentile,
       m.higher_is_better, w.guardrail
FROM wanted AS w
JOIN metrics AS m ON m.key = w.metric
ORDER BY w.position
