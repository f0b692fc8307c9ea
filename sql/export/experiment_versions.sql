-- The experiment_versions catalog table, exported to data/lake/catalog/ for readers outside the server.
-- params: none
-- grain: experiment_versions row
SELECT * FROM experiment_versions
