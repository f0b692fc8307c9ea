-- Batches of hot rows moved to the Parquet lake. The flush deletes the rows from the hot table and
-- records the batch in one transaction; the lake manifest lists files by the batches they hold, so
-- at start-up a file whose batch is not recorded here is one whose move never committed.

CREATE TABLE lake_batches (
    batch      BIGINT PRIMARY KEY,
    fact_table VARCHAR NOT NULL,
    row_count  BIGINT NOT NULL,
    flushed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
