-- lotty.connect(): the metrics catalog table from its exported Parquet (registered as metrics_export).
-- params: none
CREATE TABLE metrics AS SELECT * FROM metrics_export
