-- The flags catalog table, exported to data/lake/catalog/ for readers outside the server.
-- params: none
-- grain: flags row
SELECT * FROM flags
