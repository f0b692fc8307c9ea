-- The experiments catalog table, exported to data/lake/catalog/ for readers outside the server.
-- params: none
-- grain: experiments row
SELECT * FROM experiments
