-- Records one batch moved to the lake, in the transaction that removed its rows from the hot table.
-- params: batch BIGINT; fact_table VARCHAR; row_count BIGINT
INSERT INTO lake_batches (batch, fact_table, row_count) VALUES ($batch, $fact_table, $row_count)
