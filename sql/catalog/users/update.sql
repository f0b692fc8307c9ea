-- Renames a user or changes its role.
-- params: id VARCHAR; name VARCHAR; role VARCHAR; now TIMESTAMP
UPDATE users SET name = $name, role = $role, updated_at = $now WHERE id = $id
