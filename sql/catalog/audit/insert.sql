-- Appends one entry to the audit log (in the transaction of the change it records).
-- params: at TIMESTAMP; actor VARCHAR; entity VARCHAR; entity_key VARCHAR; action VARCHAR;
--         before JSON; after JSON; comment VARCHAR
INSERT INTO audit_log ("at", actor, entity, entity_key, action, before, after, comment)
VALUES ($at, $actor, $entity, $entity_key, $action, $before, $after, $comment)
