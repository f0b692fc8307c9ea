-- The log of one experiment: its own entries and those of its guardrails, newest first.
-- params: key VARCHAR; before_id BIGINT|null; limit INTEGER
-- grain: audit entry
SELECT id, "at", actor, entity, entity_key, action, before, after, comment
FROM audit_log
WHERE ((entity = 'experiment' AND entity_key = $key)
       OR (entity = 'guardrail' AND starts_with(entity_key, $key || '/')))
  AND ($before_id IS NULL OR id < $before_id)
ORDER BY id DESC
LIMIT $limit
