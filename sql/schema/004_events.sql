-- Events (SPEC §4) land in events_hot. The SPEC's names `decisions`, `enrolments` and `events` belong
-- to the views in sql/views/ (recreated by every migrate, see lotty/store/views.py), so the hot
-- tables of 002 are renamed with a _hot suffix. Append-only, no keys or indexes: rows arrive in
-- batches through the one fact writer; event_id dedup is done at ingest and again by the view.

ALTER TABLE enrolments RENAME TO enrolments_hot;

ALTER TABLE decisions RENAME TO decisions_hot;

-- flag, experiment, experiment_version and variant are copied from the verified decision_id, so
-- reports need no join to decisions. ts is the event time the client sent (UTC); received_at is
-- when the server accepted it (its clock): dedup order and the attribution window use received_at.
CREATE TABLE events_hot (
    event_id           VARCHAR NOT NULL,
    event_type         VARCHAR NOT NULL,
    decision_id        VARCHAR NOT NULL,
    subject_id         VARCHAR NOT NULL,
    flag               VARCHAR NOT NULL,
    experiment         VARCHAR,
    experiment_version INTEGER,
    variant            VARCHAR,
    ts                 TIMESTAMP NOT NULL,
    received_at        TIMESTAMP NOT NULL,
    properties         JSON NOT NULL
);
