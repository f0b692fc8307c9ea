-- lotty.connect(): the guardrails catalog table from its exported Parquet (registered as guardrails_export).
-- params: none
CREATE TABLE guardrails AS SELECT * FROM guardrails_export
