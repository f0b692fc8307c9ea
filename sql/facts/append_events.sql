-- Appends one batch of accepted events (an Arrow table registered as events_batch).
-- params: none (rows come from the registered batch)
INSERT INTO events_hot BY NAME SELECT * FROM events_batch
