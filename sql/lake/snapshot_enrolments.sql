-- Every hot enrolment visible to the flush transaction (the rows it will move to the lake).
-- params: none
-- grain: enrolment row
SELECT experiment, version, subject_id, variant, enrolled_at, decision_id
FROM enrolments_hot
