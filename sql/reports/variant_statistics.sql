-- Per-variant sufficient statistics of every metric of one experiment over [from_ts, to_ts) of event
-- time, for the whole window and per time bucket, from the attributed events (see `attributed`).
-- params: experiment VARCHAR; from_ts TIMESTAMP (incl); to_ts TIMESTAMP (excl);
--         bucket VARCHAR ('minute' | 'hour' | 'day'); z DOUBLE (normal quantile of the percentile
--         intervals: 1.959963984540054 for 95 %); metrics STRUCT(metric VARCHAR, kind VARCHAR,
--         event_type VARCHAR, numerator VARCHAR, denominator VARCHAR, property VARCHAR,
--         percentile DOUBLE)[] (the rows of reports/experiment_metrics)
-- grain: (metric, variant, bucket_start); metric NULL: the variant's population (units = subjects
--        exposed in the window, or first exposed in the bucket; events = exposure events);
--        bucket_start NULL: the whole window.
-- Population: subjects with an exposure to the experiment in the window, in the variant of their
-- first one; their attributed events in the window count, nobody else's. Per kind (docs/reports.md):
--   count, sum    units = exposed subjects; total, total_squares = sums over subjects of the subject's
--                 event count (count) or property sum (sum); subjects without events are zeros
--   conversion    units = exposed subjects; successes = subjects with at least one event (also per
--                 bucket; successes is NULL in the rows of the other kinds)
--   ratio         units = exposed subjects; total*/d_total* and cross_total from the per-subject
--                 numerator and denominator event counts
--   average       units = events with a numeric property value; total, total_squares over events
--   percentile    units = those events; value = quantile_cont at the percentile; lower, upper = the
--                 order statistics of lotty.stats.quantile_ci_ranks at level_low, level_high
-- Series rows (bucket_start set) count the events in the bucket of subjects first exposed in that
-- bucket or before; their units are NULL except for the population (subjects first exposed there).
-- Cost (docs/benchmarks.md): the events are read twice (the population, then the measured events),
-- sharing one duplicate-id pass; they are joined to their subject once (`measured`) and every
-- statistic aggregates those rows straight to its own grain; only the per-subject totals hold a
-- row per subject (per source a count, sum or ratio reads), and only conversion series count
-- distinct subjects per bucket.
-- `repeated`, `first_copy`, `event` and `first_exposure` are views/attributed_events.sql's, word for
-- word (a test keeps them so), so that both reads of the events below share one duplicate-id pass
-- and one ranking of the repeated ids' copies: a view read twice runs them twice. `attributed` is
-- attributed_events without `exposed_at`, which the report does not need, so only the events of
-- requires_exposure types are joined to their first exposure.
WITH repeated AS MATERIALIZED (
    SELECT hash(event_id) AS id_hash FROM stored_events GROUP BY id_hash HAVING count(*) > 1
),
first_copy AS MATERIALIZED (
    SELECT * FROM stored_events WHERE hash(event_id) IN (SELECT id_hash FROM repeated)
    QUALIFY row_number() OVER (
        PARTITION BY event_id
        ORDER BY received_at, ts, event_type, decision_id, subject_id, properties
    ) = 1
),
event AS NOT MATERIALIZED (
    SELECT * FROM stored_events WHERE hash(event_id) NOT IN (SELECT id_hash FROM repeated)
    UNION ALL
    SELECT * FROM first_copy
),
first_exposure AS (
    SELECT decision_id, min(received_at) AS exposed_at
    FROM event
    WHERE event_type = 'exposure'
    GROUP BY decision_id
),
attributed AS NOT MATERIALIZED (
    SELECT e.* FROM event AS e
    JOIN event_types AS t ON t.key = e.event_type
    WHERE NOT t.requires_exposure
    UNION ALL
    SELECT e.* FROM event AS e
    JOIN event_types AS t ON t.key = e.event_type
    JOIN first_exposure AS x ON x.decision_id = e.decision_id
    WHERE t.requires_exposure AND x.exposed_at <= e.received_at + INTERVAL 7 DAY
),
metric AS (
    SELECT unnest(CAST($metrics AS STRUCT(metric VARCHAR, kind VARCHAR, event_type VARCHAR,
                  numerator VARCHAR, denominator VARCHAR, property VARCHAR, percentile DOUBLE)[]),
                  recursive := true)
),
wanted AS (  -- what each metric reads (a ratio reads two event types, the population reads exposures)
    SELECT metric, kind, 'value' AS role, coalesce(event_type, numerator) AS event_type, property, percentile
    FROM metric
    UNION ALL
    SELECT metric, kind, 'denominator', denominator, NULL, NULL FROM metric WHERE kind = 'ratio'
    UNION ALL
    SELECT NULL, 'population', 'value', 'exposure', NULL, NULL
),
reading AS (  -- a read without a property shares its event type's property read, if there is one
    SELECT w.*, coalesce(w.property,
                         (SELECT min(p.property) FROM wanted AS p WHERE p.event_type = w.event_type))
                AS source_property
    FROM wanted AS w
),
source AS (  -- each (event type, property) is extracted once (what reads it decides where it goes)
    SELECT row_number() OVER (ORDER BY event_type, source_property) AS source, event_type,
           source_property AS property, bool_or(kind = 'percentile') AS keeps_values,
           bool_or(kind <> 'population') AS measures,
           bool_or(kind IN ('count', 'sum', 'conversion', 'ratio')) AS per_subject,
           bool_or(kind = 'conversion') AS converts
    FROM reading
    GROUP BY event_type, source_property
),
read AS (
    SELECT r.metric, r.kind, r.role, r.percentile, s.source
    FROM reading AS r
    JOIN source AS s ON s.event_type = r.event_type AND s.property IS NOT DISTINCT FROM r.source_property
),
-- The attributed events of the experiment in the window. NOT MATERIALIZED: `exposed` and `measured`
-- each read them again, which costs less than holding every event (it spills at 50M events).
in_window AS NOT MATERIALIZED (
    SELECT e.subject_id, e.variant, e.ts, e.event_type, date_trunc($bucket, e.ts) AS bucket_start,
           s.source, s.keeps_values, s.measures, s.per_subject, s.converts,
           TRY_CAST(json_extract_string(e.properties, '$.' || s.property) AS DOUBLE) AS x
    FROM attributed AS e
    JOIN source AS s ON s.event_type = e.event_type
    WHERE e.experiment = $experiment AND e.ts >= $from_ts AND e.ts < $to_ts
),
exposed AS (  -- subjects exposed in the window, in the variant of their first exposure
    SELECT e.subject_id, arg_min(e.variant, e.ts) AS variant, min(e.bucket_start) AS first_bucket,
           count(*) AS exposures
    FROM in_window AS e
    WHERE e.event_type = 'exposure'
    GROUP BY e.subject_id
),
subject AS MATERIALIZED (  -- the population, numbered: later grains key on the number, not the id
    SELECT *, row_number() OVER () AS subject_no FROM exposed
),
measured AS (  -- the population's events of the sources a metric reads, in the variant of the subject
    SELECT e.source, e.keeps_values, e.per_subject, e.converts, e.bucket_start, e.x, s.subject_no,
           s.variant, e.bucket_start >= s.first_bucket AS in_series
    FROM in_window AS e
    JOIN subject AS s ON s.subject_id = e.subject_id
    WHERE e.measures
),
subject_total AS (  -- per subject and source over the window (keyed on the number alone: a
                    -- subject has one variant, and a narrower key hashes in about half the time)
    SELECT source, subject_no, any_value(variant) AS variant, count(*) AS events, sum(x) AS sum_x
    FROM measured
    WHERE per_subject
    GROUP BY source, subject_no
),
population AS (
    SELECT variant, NULL::TIMESTAMP AS bucket_start, count(*) AS units, sum(exposures) AS events
    FROM subject
    GROUP BY variant
    UNION ALL
    SELECT variant, first_bucket, count(*), NULL FROM subject GROUP BY variant, first_bucket
),
per_subject AS (  -- window statistics over subjects, per source
    SELECT source, variant, count(*) AS subjects_with_events,
           sum(events) AS events, sum(events * events) AS events_squares,
           coalesce(sum(sum_x), 0) AS total, coalesce(sum(sum_x * sum_x), 0) AS total_squares
    FROM subject_total
    GROUP BY source, variant
),
event_cell AS (  -- per source, variant, bucket, and whether the events count in the series
    SELECT source, variant, bucket_start, in_series, count(*) AS events, count(x) AS n_x, sum(x) AS sum_x,
           sum(x * x) AS sum_xx
    FROM measured
    GROUP BY source, variant, bucket_start, in_series
),
per_event AS (  -- window and series statistics over events, per source
    SELECT source, variant, NULL::TIMESTAMP AS bucket_start, sum(events) AS events, sum(n_x) AS n_x,
           sum(sum_x) AS sum_x, sum(sum_xx) AS sum_xx
    FROM event_cell
    GROUP BY source, variant
    UNION ALL
    SELECT source, variant, bucket_start, events, n_x, sum_x, sum_xx FROM event_cell WHERE in_series
),
-- Every reader of `measured` reads it straight, no subquery in between: DuckDB then streams the
-- joined rows to all four at once, where one reader behind a subquery made it store all of them.
converted AS (  -- per bucket, the subjects with an event of a source a conversion metric reads
    SELECT source, variant, bucket_start, count(DISTINCT subject_no) AS subjects
    FROM measured
    WHERE in_series AND converts
    GROUP BY source, variant, bucket_start
),
value_cell AS (  -- the values of the sources a percentile reads, per bucket
    SELECT source, variant, bucket_start, in_series, list(x) AS xs
    FROM measured
    WHERE keeps_values AND x IS NOT NULL
    GROUP BY source, variant, bucket_start, in_series
),
sorted AS MATERIALIZED (  -- sorted values per source and variant, for the window and per bucket
                         -- (materialised: `quantile` and `percentile` index the lists repeatedly)
    SELECT source, variant, NULL::TIMESTAMP AS bucket_start, list_sort(flatten(list(xs))) AS xs
    FROM value_cell
    GROUP BY source, variant
    UNION ALL
    SELECT source, variant, bucket_start, list_sort(xs) FROM value_cell WHERE in_series
),
ratio_subject AS (  -- per-subject numerator and denominator counts of each ratio metric
    SELECT r.metric, t.subject_no, any_value(t.variant) AS variant,
           coalesce(sum(t.events) FILTER (WHERE r.role = 'value'), 0) AS m,
           coalesce(sum(t.events) FILTER (WHERE r.role = 'denominator'), 0) AS d
    FROM read AS r
    JOIN subject_total AS t ON t.source = r.source
    WHERE r.kind = 'ratio'
    GROUP BY r.metric, t.subject_no
),
ratio_window AS (
    SELECT metric, variant, sum(m) AS m, sum(m * m) AS mm, sum(d) AS d, sum(d * d) AS dd, sum(m * d) AS md
    FROM ratio_subject
    GROUP BY metric, variant
),
quantile AS (  -- type-7 interpolation at p, and the order statistics of quantile_ci_ranks(n, p, alpha)
    SELECT r.metric, v.variant, v.bucket_start, len(v.xs) AS n, v.xs, r.percentile AS p,
           1 + r.percentile * (len(v.xs) - 1) AS h,
           $z * sqrt(len(v.xs) * r.percentile * (1 - r.percentile)) AS half
    FROM read AS r
    JOIN sorted AS v ON v.source = r.source
    WHERE r.kind = 'percentile'
),
percentile AS (
    SELECT metric, variant, bucket_start, n,
           xs[floor(h)::BIGINT] + (h - floor(h)) * (xs[least(floor(h)::BIGINT + 1, n)] - xs[floor(h)::BIGINT])
               AS value,
           least(n, greatest(1, floor(n * p + 0.5 - half)))::BIGINT AS low_rank,
           least(n, greatest(1, ceil(n * p + 0.5 + half)))::BIGINT AS high_rank,
           xs
    FROM quantile
)
SELECT NULL::VARCHAR AS metric, variant, bucket_start, units, events,
       NULL::DOUBLE AS total, NULL::DOUBLE AS total_squares, NULL::DOUBLE AS d_total,
       NULL::DOUBLE AS d_total_squares, NULL::DOUBLE AS cross_total, NULL::BIGINT AS successes,
       NULL::DOUBLE AS value, NULL::DOUBLE AS lower, NULL::DOUBLE AS upper,
       NULL::DOUBLE AS level_low, NULL::DOUBLE AS level_high
FROM population
UNION ALL  -- count, sum, conversion over the window: per exposed subject (sums over subjects)
SELECT r.metric, w.variant, NULL, p.units, w.events,
       CASE r.kind WHEN 'sum' THEN w.total ELSE w.events END,
       CASE r.kind WHEN 'sum' THEN w.total_squares ELSE w.events_squares END,
       NULL, NULL, NULL, w.subjects_with_events, NULL, NULL, NULL, NULL, NULL
FROM read AS r
JOIN per_subject AS w ON w.source = r.source
JOIN population AS p ON p.variant = w.variant AND p.bucket_start IS NULL
WHERE r.kind IN ('count', 'sum', 'conversion')
UNION ALL  -- average over events over the window, and count, sum, conversion, average per bucket
SELECT r.metric, e.variant, e.bucket_start, CASE WHEN r.kind = 'average' THEN e.n_x END, e.events,
       CASE WHEN r.kind IN ('sum', 'average') THEN coalesce(e.sum_x, 0) ELSE e.events END,
       CASE WHEN r.kind = 'average' THEN coalesce(e.sum_xx, 0) END,
       NULL, NULL, NULL, c.subjects, NULL, NULL, NULL, NULL, NULL
FROM read AS r
JOIN per_event AS e ON e.source = r.source
LEFT JOIN converted AS c
       ON r.kind = 'conversion' AND c.source = e.source AND c.variant = e.variant
      AND c.bucket_start = e.bucket_start
WHERE (r.kind = 'average' OR (r.kind IN ('count', 'sum', 'conversion') AND e.bucket_start IS NOT NULL))
UNION ALL  -- ratio per bucket: numerator and denominator event counts
SELECT r.metric, e.variant, e.bucket_start, NULL, NULL,
       coalesce(sum(e.events) FILTER (WHERE r.role = 'value'), 0), NULL,
       coalesce(sum(e.events) FILTER (WHERE r.role = 'denominator'), 0), NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL
FROM read AS r
JOIN per_event AS e ON e.source = r.source
WHERE r.kind = 'ratio' AND e.bucket_start IS NOT NULL
GROUP BY r.metric, e.variant, e.bucket_start
UNION ALL
SELECT w.metric, w.variant, NULL, p.units, NULL, w.m, w.mm, w.d, w.dd, w.md, NULL, NULL, NULL, NULL, NULL,
       NULL
FROM ratio_window AS w
JOIN population AS p ON p.variant = w.variant AND p.bucket_start IS NULL
UNION ALL
SELECT metric, variant, bucket_start, n, NULL, NULL, NULL, NULL, NULL, NULL, NULL, value,
       xs[low_rank], xs[high_rank],
       CASE WHEN n < 2 THEN 0.0 ELSE (low_rank - 1) / (n - 1) END,
       CASE WHEN n < 2 THEN 1.0 ELSE (high_rank - 1) / (n - 1) END
FROM percentile
