-- One metric by key.
-- params: key VARCHAR
-- grain: metric
SELECT key, name, description, kind, event_type, numerator, denominator, property, percentile,
       higher_is_better, archived, builtin, created_at, updated_at
FROM metrics WHERE key = $key
