-- Every enrolment of a subject in an experiment (sticky, SPEC §3): hot tail plus lake files.
-- params: none (the lake files come from the DuckDB variable lake_enrolments)
-- grain: enrolment (experiment, subject_id)
SELECT experiment, version, subject_id, variant, enrolled_at, decision_id
FROM enrolments_hot
UNION ALL
SELECT experiment, version, subject_id, variant, enrolled_at, decision_id
FROM read_parquet(getvariable('lake_enrolments'))
