-- lotty.connect(): the experiment_variants catalog table from its exported Parquet (registered as experiment_variants_export).
-- params: none
CREATE TABLE experiment_variants AS SELECT * FROM experiment_variants_export
