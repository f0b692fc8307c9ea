-- The experiment_variants catalog table, exported to data/lake/catalog/ for readers outside the server.
-- params: none
-- grain: experiment_variants row
SELECT * FROM experiment_variants
