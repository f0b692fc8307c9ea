-- The `lotty bench report` baseline: what a hand-written query over the same views costs when it
-- computes only per-variant event counts and property sums (no subjects, no statistics).
-- params: experiment VARCHAR; from_ts TIMESTAMP (incl); to_ts TIMESTAMP (excl); property VARCHAR
-- grain: (variant, event_type)
SELECT variant, event_type, count(*) AS events,
       sum(TRY_CAST(json_extract_string(properties, '$.' || $property) AS DOUBLE)) AS total
FROM attributed_events
WHERE experiment = $experiment AND ts >= $from_ts AND ts < $to_ts
GROUP BY variant, event_type
