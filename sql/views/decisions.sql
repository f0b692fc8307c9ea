-- Every logged decision (SPEC §3). Today only the hot tail; the lake flush adds its files here.
-- params: none
-- grain: decision (decision_id)
SELECT decision_id, decided_at, subject_id, flag, reason, value, experiment, experiment_version, variant
FROM decisions_hot
