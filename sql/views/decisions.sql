-- Every logged decision (SPEC §3): the hot tail in lotty.duckdb plus the lake's Parquet files.
-- params: none (the lake files come from the DuckDB variable lake_decisions)
-- grain: decision (decision_id)
SELECT decision_id, decided_at, subject_id, flag, reason, CAST(value AS VARCHAR) AS value, experiment,
       experiment_version, variant
FROM decisions_hot
UNION ALL
SELECT decision_id, decided_at, subject_id, flag, reason, value, experiment, experiment_version, variant
FROM read_parquet(getvariable('lake_decisions'))
