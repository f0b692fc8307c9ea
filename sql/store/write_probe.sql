-- Readiness probe: proves the database accepts writes (touches one bookkeeping row).
-- params: none
UPDATE schema_migrations SET name = name WHERE version = 1
