-- Removes a guardrail rule.
-- params: id VARCHAR
DELETE FROM guardrails WHERE id = $id
