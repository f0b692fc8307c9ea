-- Marks one migration as applied, in the same transaction as its DDL.
-- params: version INTEGER; name VARCHAR
INSERT INTO schema_migrations (version, name) VALUES ($version, $name)
