-- Audit entries, newest first, optionally filtered; keyset on the increasing id.
-- params: entity VARCHAR|null; entity_key VARCHAR|null; actor VARCHAR|null; action VARCHAR|null;
--         from_ts TIMESTAMP|null (incl); to_ts TIMESTAMP|null (excl); before_id BIGINT|null; limit INTEGER
-- grain: audit entry
SELECT id, "at", actor, entity, entity_key, action, before, after, comment
FROM audit_log
WHERE ($entity IS NULL OR entity = $entity)
  AND ($entity_key IS NULL OR entity_key = $entity_key)
  AND ($actor IS NULL OR actor = $actor)
  AND ($action IS NULL OR action = $action)
  AND ($from_ts IS NULL OR "at" >= $from_ts)
  AND ($to_ts IS NULL OR "at" < $to_ts)
  AND ($before_id IS NULL OR id < $before_id)
ORDER BY id DESC
LIMIT $limit
