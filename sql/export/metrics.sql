-- The metrics catalog table, exported to data/lake/catalog/ for readers outside the server.
-- params: none
-- grain: metrics row
SELECT * FROM metrics
