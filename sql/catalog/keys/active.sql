-- Every unrevoked key with its owner's role, for the in-memory keyring.
-- params: none
-- grain: key
SELECT k.key_hash, k.id, k.user_id, u.role
FROM api_keys AS k JOIN users AS u ON u.id = k.user_id
WHERE k.revoked_at IS NULL
