-- Removes the hot events the flush transaction saw (rows appended since stay: they are not visible to it).
-- params: none
DELETE FROM events_hot
