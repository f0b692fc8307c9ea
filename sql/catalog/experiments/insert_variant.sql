-- Writes one variant of one experiment version.
-- params: experiment VARCHAR; version INTEGER; position INTEGER; name VARCHAR; value JSON;
--         weight DECIMAL(5,2); control BOOLEAN
INSERT INTO experiment_variants (experiment, version, position, name, value, weight, control)
VALUES ($experiment, $version, $position, $name, $value, $weight, $control)
