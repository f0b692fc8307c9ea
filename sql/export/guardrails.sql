-- The guardrails catalog table, exported to data/lake/catalog/ for readers outside the server.
-- params: none
-- grain: guardrails row
SELECT * FROM guardrails
