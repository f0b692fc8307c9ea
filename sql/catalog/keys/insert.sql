-- Stores a new API key by its SHA-256 (the key itself is never stored).
-- params: id VARCHAR; user_id VARCHAR; key_hash BLOB; now TIMESTAMP
INSERT INTO api_keys (id, user_id, key_hash, created_at) VALUES ($id, $user_id, $key_hash, $now)
