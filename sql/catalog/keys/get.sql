-- One key of one user.
-- params: id VARCHAR; user_id VARCHAR
-- grain: key
SELECT id, user_id, created_at, revoked_at FROM api_keys WHERE id = $id AND user_id = $user_id
