-- lotty.connect(): the experiments catalog table from its exported Parquet (registered as experiments_export).
-- params: none
CREATE TABLE experiments AS SELECT * FROM experiments_export
