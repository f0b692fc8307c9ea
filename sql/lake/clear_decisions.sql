-- Removes the hot decisions the flush transaction saw (rows appended since stay: they are not visible to it).
-- params: none
DELETE FROM decisions_hot
