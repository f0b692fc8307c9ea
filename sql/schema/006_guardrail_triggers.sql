-- Guardrail triggers (SPEC §2.5): one row per rule that fired for one variant, with the rule as it
-- was and what was observed. Kept when the rule later changes or goes away.

CREATE TABLE guardrail_triggers (
    id             VARCHAR PRIMARY KEY,
    experiment     VARCHAR NOT NULL,
    guardrail      VARCHAR NOT NULL,
    variant        VARCHAR NOT NULL,
    metric         VARCHAR NOT NULL,
    operator       VARCHAR NOT NULL,
    threshold      DOUBLE NOT NULL,
    window_minutes INTEGER NOT NULL,
    action         VARCHAR NOT NULL CHECK (action IN ('pause', 'rollback')),
    observed_value DOUBLE NOT NULL,
    samples        BIGINT NOT NULL,
    triggered_at   TIMESTAMP NOT NULL
);

CREATE INDEX guardrail_triggers_experiment ON guardrail_triggers (experiment, triggered_at);
