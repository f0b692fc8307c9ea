-- Archives a metric: new experiments and guardrails can no longer use it.
-- params: key VARCHAR; now TIMESTAMP
UPDATE metrics SET archived = true, updated_at = $now WHERE key = $key
