-- The `lotty bench report` floor: reading the experiment's attributed events in the window and
-- nothing else (the cost of the views themselves: event-id dedup, attribution).
-- params: experiment VARCHAR; from_ts TIMESTAMP (incl); to_ts TIMESTAMP (excl)
-- grain: one row
SELECT count(*) AS events
FROM attributed_events
WHERE experiment = $experiment AND ts >= $from_ts AND ts < $to_ts
