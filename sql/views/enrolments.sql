-- Every enrolment of a subject in an experiment (sticky, SPEC §3). Today only the hot tail; the
-- lake flush adds its files here.
-- params: none
-- grain: enrolment (experiment, subject_id)
SELECT experiment, version, subject_id, variant, enrolled_at, decision_id
FROM enrolments_hot
