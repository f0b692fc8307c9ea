-- Creates the head row of a new experiment (status draft, version 1).
-- params: key VARCHAR; flag VARCHAR; owner VARCHAR; now TIMESTAMP
INSERT INTO experiments (key, flag, status, version, owner, created_at, updated_at)
VALUES ($key, $flag, 'draft', 1, $owner, $now, $now)
