-- Records one batch written to the lake: a flush's, in the transaction that removed its rows from
-- the hot table, or a straight write's (the async decision log), right after its files were listed.
-- params: batch BIGINT; fact_table VARCHAR; row_count BIGINT
INSERT INTO lake_batches (batch, fact_table, row_count) VALUES ($batch, $fact_table, $row_count)
