-- The catalog: users and keys, flags, event types, metrics, experiments with every version,
-- variants, approver groups, reviews, guardrail rules and the audit log.
-- All timestamps are UTC, stored as TIMESTAMP without zone. JSON columns hold values as given.

CREATE TABLE users (
    id         VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL,
    role       VARCHAR NOT NULL CHECK (role IN ('admin', 'experimenter', 'approver', 'viewer', 'sdk')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Keys are stored as SHA-256 of the whole key; the id is the public prefix used for lookup.
CREATE TABLE api_keys (
    id         VARCHAR PRIMARY KEY,
    user_id    VARCHAR NOT NULL,
    key_hash   BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE approver_groups (
    user_id       VARCHAR PRIMARY KEY,
    approvers     VARCHAR[] NOT NULL,
    min_approvals INTEGER NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE flags (
    key           VARCHAR PRIMARY KEY,
    type          VARCHAR NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'json')),
    default_value JSON NOT NULL,
    description   VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE event_types (
    key               VARCHAR PRIMARY KEY,
    description       VARCHAR NOT NULL,
    requires_exposure BOOLEAN NOT NULL,
    properties        JSON NOT NULL,
    archived          BOOLEAN NOT NULL DEFAULT false,
    builtin           BOOLEAN NOT NULL DEFAULT false,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

INSERT INTO event_types VALUES
    ('exposure', 'A subject saw the value a decision gave it (built in).', false, '{}', false, true,
     TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:00:00');

CREATE TABLE metrics (
    key              VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL,
    description      VARCHAR NOT NULL,
    kind             VARCHAR NOT NULL CHECK (kind IN ('count', 'conversion', 'ratio', 'sum', 'average', 'percentile')),
    event_type       VARCHAR,
    numerator        VARCHAR,
    denominator      VARCHAR,
    property         VARCHAR,
    percentile       DOUBLE,
    higher_is_better BOOLEAN NOT NULL,
    archived         BOOLEAN NOT NULL DEFAULT false,
    builtin          BOOLEAN NOT NULL DEFAULT false,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

INSERT INTO metrics VALUES
    ('exposures', 'Exposures', 'Count of exposure events (built in).', 'count', 'exposure',
     NULL, NULL, NULL, NULL, true, false, true,
     TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:00:00');

-- The mutable head of an experiment: status, current version, lifecycle times and outcome.
CREATE TABLE experiments (
    key        VARCHAR PRIMARY KEY,
    flag       VARCHAR NOT NULL,
    status     VARCHAR NOT NULL CHECK (status IN ('draft', 'in_review', 'approved', 'rejected', 'running',
                                                  'paused', 'completed', 'archived')),
    version    INTEGER NOT NULL,
    owner      VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    ended_at   TIMESTAMP,
    outcome    JSON
);

-- Every version of an experiment's definition, never updated once written.
CREATE TABLE experiment_versions (
    experiment     VARCHAR NOT NULL,
    version        INTEGER NOT NULL,
    name           VARCHAR NOT NULL,
    hypothesis     VARCHAR NOT NULL,
    traffic        DECIMAL(5, 2) NOT NULL,
    targeting      VARCHAR,
    primary_metric VARCHAR,
    metrics        VARCHAR[] NOT NULL,
    domains        VARCHAR[] NOT NULL,
    priority       INTEGER NOT NULL,
    created_by     VARCHAR NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (experiment, version)
);

CREATE TABLE experiment_variants (
    experiment VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    name       VARCHAR NOT NULL,
    value      JSON NOT NULL,
    weight     DECIMAL(5, 2) NOT NULL,
    control    BOOLEAN NOT NULL,
    PRIMARY KEY (experiment, version, position)
);

CREATE TABLE reviews (
    id         VARCHAR PRIMARY KEY,
    experiment VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    reviewer   VARCHAR NOT NULL,
    decision   VARCHAR NOT NULL CHECK (decision IN ('approve', 'request_changes', 'reject')),
    comment    VARCHAR,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (experiment, version, reviewer)
);

CREATE TABLE guardrails (
    id             VARCHAR PRIMARY KEY,
    experiment     VARCHAR NOT NULL,
    metric         VARCHAR NOT NULL,
    operator       VARCHAR NOT NULL CHECK (operator IN ('>', '>=', '<', '<=')),
    threshold      DOUBLE NOT NULL,
    window_minutes INTEGER NOT NULL,
    action         VARCHAR NOT NULL CHECK (action IN ('pause', 'rollback')),
    min_samples    INTEGER NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

CREATE SEQUENCE audit_id_seq START 1;

CREATE TABLE audit_log (
    id         BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    "at"       TIMESTAMP NOT NULL,
    actor      VARCHAR NOT NULL,
    entity     VARCHAR NOT NULL,
    entity_key VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,
    before     JSON,
    after      JSON,
    comment    VARCHAR
);
