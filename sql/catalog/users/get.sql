-- One user by id.
-- params: id VARCHAR
-- grain: user
SELECT id, name, role, created_at, updated_at FROM users WHERE id = $id
