"""Events (SPEC §4): validation against the compiled event types, dedup, durable ingest.

- `schema`: the catalog's event types compiled for validation (rebuilt after each catalog change);
- `validation`: pure per-event checks with the time passed in, giving a row or a rejection;
- `dedup`: the bounded index of event ids accepted in the last 7 days;
- `ingest`: the service that ties them to the fact writer (used by `POST /api/v1/events`).
"""
