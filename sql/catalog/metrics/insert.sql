-- Creates one metric.
-- params: key, name, description, kind, event_type, numerator, denominator, property VARCHAR;
--         percentile DOUBLE; higher_is_better BOOLEAN; now TIMESTAMP
INSERT INTO metrics (key, name, description, kind, event_type, numerator, denominator, property, percentile,
                     higher_is_better, archived, builtin, created_at, updated_at)
VALUES ($key, $name, $description, $kind, $event_type, $numerator, $denominator, $property, $percentile,
        $higher_is_better, false, false, $now, $now)
