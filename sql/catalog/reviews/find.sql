-- A reviewer's review of one experiment version, if any.
-- params: experiment VARCHAR; version INTEGER; reviewer VARCHAR
-- grain: review
SELECT id, decision FROM reviews WHERE experiment = $experiment AND version = $version AND reviewer = $reviewer
