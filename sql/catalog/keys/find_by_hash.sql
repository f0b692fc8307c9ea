-- The key with this hash, if any (lets `lotty init` recognise LOTTY_ADMIN_KEY).
-- params: key_hash BLOB
-- grain: key
SELECT id, user_id, revoked_at FROM api_keys WHERE key_hash = $key_hash
