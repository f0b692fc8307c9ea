-- Fact tables (hot tail): enrolments and the decision log. Append-only; the lake flush moves
-- rows out later. No keys or indexes: rows arrive in batches through one writer.

CREATE TABLE enrolments (
    experiment  VARCHAR NOT NULL,
    version     INTEGER NOT NULL,
    subject_id  VARCHAR NOT NULL,
    variant     VARCHAR NOT NULL,
    enrolled_at TIMESTAMP NOT NULL,
    decision_id VARCHAR NOT NULL
);

CREATE TABLE decisions (
    decision_id        VARCHAR NOT NULL,
    decided_at         TIMESTAMP NOT NULL,
    subject_id         VARCHAR NOT NULL,
    flag               VARCHAR NOT NULL,
    reason             VARCHAR NOT NULL,
    value              JSON,
    experiment         VARCHAR,
    experiment_version INTEGER,
    variant            VARCHAR
);
