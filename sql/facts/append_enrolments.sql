-- Appends one batch of new enrolments (an Arrow table registered as enrolments_batch).
-- params: none (rows come from the registered batch)
INSERT INTO enrolments_hot BY NAME SELECT * FROM enrolments_batch
