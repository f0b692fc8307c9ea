-- Metrics, newest first, one page; archived ones only when asked.
-- params: include_archived BOOLEAN; after_created TIMESTAMP (null: first page); after_key VARCHAR; limit INTEGER
-- grain: metric
SELECT key, name, description, kind, event_type, numerator, denominator, property, percentile,
       higher_is_better, archived, builtin, created_at, updated_at
FROM metrics
WHERE ($include_archived OR NOT archived)
  AND ($after_created IS NULL
       OR created_at < $after_created
       OR (created_at = $after_created AND key < $after_key))
ORDER BY created_at DESC, key DESC
LIMIT $limit
