-- Revokes a key; from then on it authenticates nothing.
-- params: id VARCHAR; now TIMESTAMP
UPDATE api_keys SET revoked_at = $now WHERE id = $id AND revoked_at IS NULL
