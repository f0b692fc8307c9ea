-- Creates one user.
-- params: id VARCHAR; name VARCHAR; role VARCHAR; now TIMESTAMP
INSERT INTO users (id, name, role, created_at, updated_at) VALUES ($id, $name, $role, $now, $now)
