"""The reading views of sql/views/ on small hand-checkable rows: dedup, exposures, attribution."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lotty.store import Store
from lotty.store.sqlfiles import SQL_DIR
from lotty.store.views import VIEWS

T0 = datetime(2026, 11, 1, 10, 0)
DAY = timedelta(days=1)


def at(offset: timedelta) -> datetime:
    return T0 + offset


# (event_id, event_type, decision_id, received_at, properties)
EVENTS = [
    ("p1", "purchase", "d1", at(0 * DAY), "{}"),
    ("x1", "exposure", "d1", at(3 * DAY), "{}"),
    ("x1", "exposure", "d1", at(4 * DAY), '{"copy": 2}'),  # duplicate id: the first accepted wins
    ("p2", "purchase", "d2", at(0 * DAY), "{}"),
    ("x2", "exposure", "d2", at(7 * DAY), "{}"),  # exactly 7 days after p2: still attributes
    ("p3", "purchase", "d3", at(0 * DAY), "{}"),
    ("x3", "exposure", "d3", at(7 * DAY + timedelta(seconds=1)), "{}"),  # one second too late
    ("p4", "purchase", "d4", at(1 * DAY), "{}"),  # no exposure at all
    ("x5", "exposure", "d5", at(-2 * DAY), "{}"),  # an exposure long before the event qualifies
    ("p5", "purchase", "d5", at(20 * DAY), "{}"),
    ("c6", "crash", "d6", at(0 * DAY), "{}"),  # needs no exposure
    ("p7", "purchase", "d7", at(0 * DAY), "{}"),
    ("x8", "exposure", "d8", at(1 * DAY), "{}"),  # exposure of another decision: p7 stays pending
    ("p9", "purchase", "d9", at(2 * DAY), '{"n": 1}'),
    ("p9", "purchase", "d9", at(1 * DAY), '{"n": 0}'),  # same id received earlier: this one wins
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    instance = Store(tmp_path_factory.mktemp("views") / "lotty.duckdb")
    instance.migrate()
    cursor = instance.cursor()
    for key, requires in (("purchase", True), ("crash", False)):
        cursor.execute(
            "INSERT INTO event_types VALUES ($key, '', $requires, '{}', false, false, $t, $t)",
            {"key": key, "requires": requires, "t": T0},
        )
    for event_id, event_type, decision_id, received_at, properties in EVENTS:
        cursor.execute(
            "INSERT INTO events_hot VALUES ($id, $type, $decision, 'u-1', 'f', 'exp', 1, 'red',"
            " $received, $received, $properties)",
            {
                "id": event_id,
                "type": event_type,
                "decision": decision_id,
                "received": received_at,
                "properties": properties,
            },
        )
    cursor.execute(
        "INSERT INTO decisions_hot VALUES"
        " ('d1', $t, 'u-1', 'f', 'experiment_assigned', '\"red\"', 'exp', 1, 'red')",
        {"t": T0},
    )
    cursor.execute("INSERT INTO enrolments_hot VALUES ('exp', 1, 'u-1', 'red', $t, 'd1')", {"t": T0})
    yield instance
    instance.close()


def rows(store: Store, sql: str) -> list[tuple]:
    return store.cursor().execute(sql).fetchall()


def test_every_view_file_is_created_in_order_and_nothing_else():
    assert sorted(VIEWS) == sorted(p.stem for p in (SQL_DIR / "views").glob("*.sql"))


def test_events_keeps_one_row_per_id_the_first_received(store):
    assert rows(
        store,
        "SELECT event_id, received_at, properties FROM events WHERE event_id IN ('x1', 'p9') ORDER BY 1",
    ) == [
        ("p9", at(1 * DAY), '{"n": 0}'),
        ("x1", at(3 * DAY), "{}"),
    ]
    assert rows(store, "SELECT count(*), count(DISTINCT event_id) FROM events") == [(13, 13)]


def test_exposures_are_the_exposure_events(store):
    assert [r[0] for r in rows(store, "SELECT event_id FROM exposures ORDER BY 1")] == [
        "x1",
        "x2",
        "x3",
        "x5",
        "x8",
    ]


def test_attributed_events(store):
    assert rows(
        store, "SELECT event_id, requires_exposure, exposed_at FROM attributed_events ORDER BY event_id"
    ) == [
        ("c6", False, None),
        ("p1", True, at(3 * DAY)),
        ("p2", True, at(7 * DAY)),
        ("p5", True, at(-2 * DAY)),
        ("x1", False, at(3 * DAY)),
        ("x2", False, at(7 * DAY)),
        ("x3", False, at(7 * DAY + timedelta(seconds=1))),
        ("x5", False, at(-2 * DAY)),
        ("x8", False, at(1 * DAY)),
    ]


def test_pending_events(store):
    assert rows(store, "SELECT event_id, attributable_until FROM pending_events ORDER BY event_id") == [
        ("p3", at(7 * DAY)),
        ("p4", at(8 * DAY)),
        ("p7", at(7 * DAY)),
        ("p9", at(8 * DAY)),
    ]


def test_each_requires_exposure_event_is_attributed_or_pending_never_both(store):
    assert rows(
        store,
        "SELECT count(*) FROM events AS e JOIN event_types AS t ON t.key = e.event_type"
        " WHERE t.requires_exposure"
        " AND (e.event_id IN (SELECT event_id FROM attributed_events))"
        " = (e.event_id IN (SELECT event_id FROM pending_events))",
    ) == [(0,)]


def test_decisions_and_enrolments_read_the_hot_tables(store):
    assert rows(store, "SELECT decision_id, reason, variant FROM decisions") == [
        ("d1", "experiment_assigned", "red")
    ]
    assert rows(store, "SELECT experiment, subject_id, variant FROM enrolments") == [("exp", "u-1", "red")]


def test_a_migrate_recreates_the_views(tmp_path):
    store = Store(tmp_path / "x.duckdb")
    store.migrate()
    store.cursor().execute("DROP VIEW pending_events")
    assert store.migrate() == []
    assert rows(store, "SELECT count(*) FROM pending_events") == [(0,)]
    store.close()
