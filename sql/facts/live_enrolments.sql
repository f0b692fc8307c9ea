-- Enrolments the decide path must remember: in running or paused experiments (stickiness,
-- participation) or recent enough to count towards the cooldown window.
-- params: since TIMESTAMP (start of the cooldown window)
-- grain: enrolment (first per experiment and subject)
SELECT n.experiment, n.subject_id, arg_min(n.variant, n.enrolled_at) AS variant, min(n.enrolled_at) AS enrolled_at
FROM enrolments AS n
LEFT JOIN experiments AS e ON e.key = n.experiment
WHERE e.status IN ('running', 'paused') OR n.enrolled_at >= $since
GROUP BY n.experiment, n.subject_id
