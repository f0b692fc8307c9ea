-- Approvals of one experiment version (only permitted reviewers can have written one).
-- params: experiment VARCHAR; version INTEGER
-- grain: one row
SELECT count(*) FROM reviews WHERE experiment = $experiment AND version = $version AND decision = 'approve'
