-- Records one review of one experiment version.
-- params: id VARCHAR; experiment VARCHAR; version INTEGER; reviewer VARCHAR; decision VARCHAR;
--         comment VARCHAR; now TIMESTAMP
INSERT INTO reviews (id, experiment, version, reviewer, decision, comment, created_at)
VALUES ($id, $experiment, $version, $reviewer, $decision, $comment, $now)
