-- Moves an experiment through its lifecycle, with the times and outcome that go with it.
-- params: key VARCHAR; status VARCHAR; started_at TIMESTAMP; ended_at TIMESTAMP; outcome JSON; now TIMESTAMP
UPDATE experiments
SET status = $status, started_at = $started_at, ended_at = $ended_at, outcome = $outcome, updated_at = $now
WHERE key = $key
