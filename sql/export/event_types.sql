-- The event_types catalog table, exported to data/lake/catalog/ for readers outside the server.
-- params: none
-- grain: event_types row
SELECT * FROM event_types
