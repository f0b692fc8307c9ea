-- Versions of the migrations already applied.
-- params: none
-- grain: migration
SELECT version FROM schema_migrations ORDER BY version
