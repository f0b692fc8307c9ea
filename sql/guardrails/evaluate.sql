-- Guardrail evaluation (SPEC §2.5): every rule of every running experiment, for every non-control
-- variant, the rule's metric over the last window_minutes of event time before $now, in ONE pass.
-- params: now TIMESTAMP (excl end of every window); experiment VARCHAR|null (only this experiment;
--         null: every one); running_only BOOLEAN (true for the live check; false for backtests)
-- grain: (guardrail, variant) for every non-control variant of the experiment's current version
-- Same semantics as a report (docs/reports.md) over [now - window_minutes, now): the population is
-- the subjects with an exposure in the window, in the variant of their first one; only their
-- attributed events in the window count. value per kind: count = events; sum = sum of property;
-- conversion = share of exposed subjects with an event; ratio = count(numerator) /
-- count(denominator) (null on 0); average = mean of property; percentile = quantile_cont of property.
-- samples = exposed subjects of the variant in the window. A variant nobody was exposed to has
-- samples 0 and value null (count, sum, conversion) or null.
WITH rule AS (
    SELECT g.id AS guardrail, g.experiment, g.metric, g.operator, g.threshold, g.window_minutes,
           g.action, g.min_samples, m.kind, m.event_type, m.numerator, m.denominator, m.property,
           m.percentile, $now - to_minutes(g.window_minutes) AS from_ts, e.version
    FROM guardrails AS g
    JOIN experiments AS e ON e.key = g.experiment
    JOIN metrics AS m ON m.key = g.metric
    WHERE ($experiment IS NULL OR e.key = $experiment) AND (e.status = 'running' OR NOT $running_only)
),
win AS (  -- distinct windows: rules sharing an experiment and a window share their scans
    SELECT DISTINCT experiment, from_ts FROM rule
),
exposed AS (  -- the population of each window
    SELECT w.experiment, w.from_ts, x.subject_id, arg_min(x.variant, x.ts) AS variant
    FROM win AS w
    JOIN exposures AS x ON x.experiment = w.experiment AND x.ts >= w.from_ts AND x.ts < $now
    GROUP BY w.experiment, w.from_ts, x.subject_id
),
population AS (
    SELECT experiment, from_ts, variant, count(*) AS samples
    FROM exposed
    GROUP BY experiment, from_ts, variant
),
reading AS (  -- what each rule reads: its event type (a ratio: numerator and denominator)
    SELECT guardrail, experiment, from_ts, 'value' AS role, coalesce(event_type, numerator) AS event_type,
           property
    FROM rule
    UNION ALL
    SELECT guardrail, experiment, from_ts, 'denominator', denominator, NULL FROM rule WHERE kind = 'ratio'
),
event AS (  -- attributed events of exposed subjects in each rule's window
    SELECT r.guardrail, r.role, p.variant, e.subject_id,
           TRY_CAST(json_extract_string(e.properties, '$.' || r.property) AS DOUBLE) AS x
    FROM reading AS r
    JOIN attributed_events AS e
      ON e.experiment = r.experiment AND e.event_type = r.event_type AND e.ts >= r.from_ts AND e.ts < $now
    JOIN exposed AS p
      ON p.experiment = r.experiment AND p.from_ts = r.from_ts AND p.subject_id = e.subject_id
),
measured AS (
    SELECT guardrail, variant,
           count(*) FILTER (WHERE role = 'value') AS events,
           count(*) FILTER (WHERE role = 'denominator') AS d_events,
           count(DISTINCT subject_id) FILTER (WHERE role = 'value') AS converted,
           sum(x) FILTER (WHERE role = 'value') AS total,
           avg(x) FILTER (WHERE role = 'value') AS mean,
           list_sort(list(x) FILTER (WHERE role = 'value' AND x IS NOT NULL)) AS xs
    FROM event
    GROUP BY guardrail, variant
),
arm AS (  -- every non-control variant of each rule's experiment, at its current version
    SELECT r.*, v.name AS variant
    FROM rule AS r
    JOIN experiment_variants AS v ON v.experiment = r.experiment AND v.version = r.version
    WHERE NOT v.control
),
observed AS (
    SELECT a.*, coalesce(p.samples, 0) AS samples, m.events, m.d_events, m.converted, m.total, m.mean,
           m.xs, len(m.xs) AS n_x, 1 + a.percentile * (len(m.xs) - 1) AS h
    FROM arm AS a
    LEFT JOIN population AS p ON p.experiment = a.experiment AND p.from_ts = a.from_ts
                             AND p.variant = a.variant
    LEFT JOIN measured AS m ON m.guardrail = a.guardrail AND m.variant = a.variant
)
SELECT guardrail, experiment, variant, metric, kind, operator, threshold, window_minutes, action,
       min_samples, samples,
       CASE
           WHEN samples = 0 THEN NULL
           WHEN kind = 'count' THEN coalesce(events, 0)::DOUBLE
           WHEN kind = 'sum' THEN coalesce(total, 0)::DOUBLE
           WHEN kind = 'conversion' THEN coalesce(converted, 0) / samples
           WHEN kind = 'ratio' THEN CASE WHEN coalesce(d_events, 0) = 0 THEN NULL ELSE events / d_events END
           WHEN kind = 'average' THEN mean
           WHEN kind = 'percentile' AND n_x > 0 THEN
               xs[floor(h)::BIGINT]
               + (h - floor(h)) * (xs[least(floor(h)::BIGINT + 1, n_x)] - xs[floor(h)::BIGINT])
       END AS observed_value
FROM observed
ORDER BY experiment, guardrail, variant
