-- Changes a metric's presentation and definition (its kind never changes).
-- params: key, name, description, event_type, numerator, denominator, property VARCHAR;
--         percentile DOUBLE; higher_is_better BOOLEAN; now TIMESTAMP
UPDATE metrics
SET name = $name, description = $description, event_type = $event_type, numerator = $numerator,
    denominator = $denominator, property = $property, percentile = $percentile,
    higher_is_better = $higher_is_better, updated_at = $now
WHERE key = $key
