-- lotty.connect(): the experiment_versions catalog table from its exported Parquet (registered as experiment_versions_export).
-- params: none
CREATE TABLE experiment_versions AS SELECT * FROM experiment_versions_export
