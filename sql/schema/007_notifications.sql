-- Notifications (SPEC §6): channels say where to send, rules say which events go to which channel,
-- deliveries are the outbox and its log (one row per rule that matched an event).

CREATE TABLE notification_channels (
    key        VARCHAR PRIMARY KEY,
    type       VARCHAR NOT NULL CHECK (type IN ('webhook', 'slack', 'telegram')),
    config     JSON NOT NULL,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE notification_rules (
    id                  VARCHAR PRIMARY KEY,
    event               VARCHAR NOT NULL
                        CHECK (event IN ('guardrail_triggered', 'experiment_status_changed', 'srm_detected')),
    scope_kind          VARCHAR CHECK (scope_kind IN ('experiment', 'flag', 'owner')),
    scope_key           VARCHAR,
    channel             VARCHAR NOT NULL,
    rate_limit_per_hour INTEGER,
    dedup_minutes       INTEGER NOT NULL,
    created_by          VARCHAR NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

CREATE TABLE notification_deliveries (
    id              VARCHAR PRIMARY KEY,
    rule            VARCHAR NOT NULL,
    channel         VARCHAR NOT NULL,
    event           VARCHAR NOT NULL,
    experiment      VARCHAR,
    dedup_key       VARCHAR NOT NULL,
    payload         JSON NOT NULL,
    status          VARCHAR NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'suppressed')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMP,
    last_error      VARCHAR,
    response_status INTEGER,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);

CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at);
CREATE INDEX notification_deliveries_rule ON notification_deliveries (rule, created_at);
