-- lotty.connect(): the flags catalog table from its exported Parquet (registered as flags_export).
-- params: none
CREATE TABLE flags AS SELECT * FROM flags_export
