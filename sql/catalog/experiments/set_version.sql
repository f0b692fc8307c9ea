-- Points an experiment's head at a newer version.
-- params: key VARCHAR; version INTEGER; now TIMESTAMP
UPDATE experiments SET version = $version, updated_at = $now WHERE key = $key
