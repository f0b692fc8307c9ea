-- Removes the hot enrolments the flush transaction saw (rows appended since stay: they are not visible to it).
-- params: none
DELETE FROM enrolments_hot
