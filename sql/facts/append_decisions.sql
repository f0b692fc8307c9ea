-- Appends one batch of decisions (an Arrow table registered as decisions_batch).
-- params: none (rows come from the registered batch)
INSERT INTO decisions_hot BY NAME SELECT * FROM decisions_batch
