-- Records one journal segment as applied, in the transaction that applied its rows.
-- params: segment BIGINT
INSERT INTO journal_applied (segment) VALUES ($segment)
