-- The running or paused experiment of a flag, if any (there is at most one).
-- params: flag VARCHAR
-- grain: experiment
SELECT key, status FROM experiments WHERE flag = $flag AND status IN ('running', 'paused')
