-- How many users hold a role (guards against removing the last admin).
-- params: role VARCHAR
-- grain: one row
SELECT count(*) FROM users WHERE role = $role
