-- Reviews of one experiment across its versions, newest first; keyset on (created_at, id).
-- params: experiment VARCHAR; after_created TIMESTAMP|null; after_id VARCHAR; limit INTEGER
-- grain: review
SELECT id, experiment, version, reviewer, decision, comment, created_at
FROM reviews
WHERE experiment = $experiment
  AND ($after_created IS NULL
       OR created_at < $after_created
       OR (created_at = $after_created AND id < $after_id))
ORDER BY created_at DESC, id DESC
LIMIT $limit
