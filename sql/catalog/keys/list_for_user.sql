-- A user's keys, newest first (metadata only).
-- params: user_id VARCHAR
-- grain: key
SELECT id, created_at, revoked_at FROM api_keys WHERE user_id = $user_id ORDER BY created_at DESC, id DESC
