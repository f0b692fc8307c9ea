"""POST /api/v1/events over HTTP: every reject reason, duplicates, batch limits, attribution, auth."""

from __future__ import annotations

import dataclasses
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from litestar.testing import TestClient

from api.app import create_app
from lotty.instance import Lotty
from tests.api.test_decide import start_experiment
from tests.conftest import ADMIN_KEY, Caller

_ids = itertools.count(1)

PURCHASE = {
    "key": "purchase",
    "requires_exposure": True,
    "properties": {
        "amount": {"type": "number", "required": True},
        "currency": {"type": "string"},
        "gift": {"type": "boolean"},
        "paid_at": {"type": "timestamp"},
    },
}


@pytest.fixture
def world(admin, make_user, lotty, clock):
    """A running experiment on button_color, event types, and decisions for subjects u-1 and u-2."""
    start_experiment(admin, make_user("approver"))
    assert admin.post("/api/v1/event-types", PURCHASE).status_code == 201
    assert admin.post("/api/v1/event-types", {"key": "crash", "requires_exposure": False}).status_code == 201
    assert admin.post("/api/v1/event-types", {"key": "legacy"}).status_code == 201
    assert admin.post("/api/v1/event-types/legacy/archive").status_code == 200
    decisions = {}
    for subject in ("u-1", "u-2"):
        body = {"subject_id": subject, "attributes": {}, "flags": ["button_color"]}
        decisions[subject] = admin.post("/api/v1/decide", body).json()["decisions"][0]
    return dataclasses.make_dataclass("World", ["admin", "lotty", "clock", "decisions"])(
        admin, lotty, clock, decisions
    )


def event(world, subject="u-1", event_type="purchase", decision=None, **fields):
    body = {
        "event_id": f"e-{next(_ids)}",
        "event_type": event_type,
        "decision_id": decision or world.decisions[subject]["decision_id"],
        "subject_id": subject,
        "timestamp": world.clock.now.isoformat(),
        "properties": {"amount": 12.5} if event_type == "purchase" else {},
    }
    body.update(fields)
    return body


def send(caller: Caller, events, **kw):
    return caller.post("/api/v1/events", {"events": events}, **kw)


def stored(lotty: Lotty, sql: str = "SELECT event_id FROM events_hot ORDER BY event_id") -> list:
    lotty.writer.flush()
    return lotty.store.cursor().execute(sql).fetchall()


def test_accepted_event_is_stored_with_the_decision_copied_from_its_token(world):
    sent = event(
        world, properties={"amount": 3, "currency": "EUR", "gift": True, "paid_at": "2026-11-21T11:00:00Z"}
    )
    response = send(world.admin, [sent])
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": 0, "errors": []}
    decision = world.decisions["u-1"]
    row = stored(
        world.lotty,
        "SELECT event_id, event_type, decision_id, subject_id, flag, experiment, experiment_version, variant,"
        " properties FROM events",
    )
    assert row == [
        (
            sent["event_id"],
            "purchase",
            decision["decision_id"],
            "u-1",
            "button_color",
            "checkout-cta",
            1,
            decision["variant"],
            '{"amount":3,"currency":"EUR","gift":true,"paid_at":"2026-11-21T11:00:00Z"}',
        )
    ]


def _tampered(world):
    token = world.decisions["u-1"]["decision_id"]
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


REJECTS = [
    # (name, how the event differs from a valid one, code, field)
    ("unknown type", {"event_type": "ghost"}, "UNKNOWN_EVENT_TYPE", "event_type"),
    ("archived type", {"event_type": "legacy"}, "ARCHIVED_EVENT_TYPE", "event_type"),
    ("no event_id", {"event_id": None}, "MISSING_FIELD", "event_id"),
    ("no event_type", {"event_type": None}, "MISSING_FIELD", "event_type"),
    ("no decision_id", {"decision_id": None}, "MISSING_FIELD", "decision_id"),
    ("no subject_id", {"subject_id": None}, "MISSING_FIELD", "subject_id"),
    ("no timestamp", {"timestamp": None}, "MISSING_FIELD", "timestamp"),
    ("numeric event_id", {"event_id": 42}, "INVALID_FIELD", "event_id"),
    ("timestamp without offset", {"timestamp": "2026-11-21T12:00:00"}, "INVALID_FIELD", "timestamp"),
    ("timestamp not a date", {"timestamp": "yesterday"}, "INVALID_FIELD", "timestamp"),
    ("properties not an object", {"properties": [1]}, "INVALID_FIELD", "properties"),
    ("unknown field", {"value": 3}, "UNKNOWN_FIELD", "value"),
    (
        "required property missing",
        {"properties": {"currency": "EUR"}},
        "MISSING_PROPERTY",
        "properties.amount",
    ),
    ("required property null", {"properties": {"amount": None}}, "MISSING_PROPERTY", "properties.amount"),
    ("number as string", {"properties": {"amount": "12.5"}}, "INVALID_PROPERTY", "properties.amount"),
    ("boolean as number", {"properties": {"amount": True}}, "INVALID_PROPERTY", "properties.amount"),
    (
        "string as number",
        {"properties": {"amount": 1, "currency": 978}},
        "INVALID_PROPERTY",
        "properties.currency",
    ),
    (
        "boolean as string",
        {"properties": {"amount": 1, "gift": "yes"}},
        "INVALID_PROPERTY",
        "properties.gift",
    ),
    (
        "bad timestamp prop",
        {"properties": {"amount": 1, "paid_at": "noon"}},
        "INVALID_PROPERTY",
        "properties.paid_at",
    ),
    (
        "unknown property",
        {"properties": {"amount": 1, "colour": "red"}},
        "UNKNOWN_PROPERTY",
        "properties.colour",
    ),
    ("forged decision_id", {"decision_id": "not-a-token"}, "INVALID_DECISION_ID", "decision_id"),
    ("tampered decision_id", "tampered", "INVALID_DECISION_ID", "decision_id"),
    ("other subject", {"subject_id": "u-2"}, "SUBJECT_MISMATCH", "subject_id"),
    ("6 minutes ahead", "future", "TIMESTAMP_IN_FUTURE", "timestamp"),
    ("31 days old", "old", "TIMESTAMP_TOO_OLD", "timestamp"),
]


@pytest.mark.parametrize(("change", "code", "field"), [r[1:] for r in REJECTS], ids=[r[0] for r in REJECTS])
def test_each_reject_reason_names_its_field_and_stores_nothing(world, change, code, field):
    bad = event(world)
    if change == "tampered":
        bad["decision_id"] = _tampered(world)
    elif change == "future":
        bad["timestamp"] = (world.clock.now + timedelta(minutes=6)).isoformat()
    elif change == "old":
        bad["timestamp"] = (world.clock.now - timedelta(days=31)).isoformat()
    else:
        bad.update(change)
        bad = {k: v for k, v in bad.items() if v is not None or k in ("properties",)}
    good = event(world)
    response = send(world.admin, [good, bad])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 0, 1)
    (error,) = body["errors"]
    assert (error["index"], error["code"], error["field"]) == (1, code, field), error
    assert field.split(".")[-1] in error["message"] or code in ("SUBJECT_MISMATCH",), error
    assert stored(world.lotty) == [(good["event_id"],)]


def test_an_event_that_is_not_an_object_is_rejected_alone(world):
    body = send(world.admin, [event(world), "click", 7]).json()
    assert body["accepted"] == 1 and [(e["index"], e["code"]) for e in body["errors"]] == [
        (1, "INVALID_EVENT"),
        (2, "INVALID_EVENT"),
    ]


def test_timestamp_bounds_are_inclusive(world):
    now = world.clock.now + timedelta(milliseconds=1)  # the reading the request will take
    edge = [
        event(world, timestamp=(now + timedelta(minutes=5)).isoformat()),
        event(world, timestamp=(now - timedelta(days=30)).isoformat()),
        event(world, timestamp=(now + timedelta(minutes=5, microseconds=1)).isoformat()),
        event(world, timestamp=(now - timedelta(days=30, microseconds=1)).isoformat()),
    ]
    body = send(world.admin, edge).json()
    assert body["accepted"] == 2
    assert [e["code"] for e in body["errors"]] == ["TIMESTAMP_IN_FUTURE", "TIMESTAMP_TOO_OLD"]


def test_duplicates_in_a_batch_and_across_batches_are_counted_never_stored_twice(world):
    first, second = event(world), event(world)
    body = send(world.admin, [first, second, dict(first), dict(first)]).json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 2, 0)
    third = event(world)
    body = send(world.admin, [dict(second), third]).json()
    assert (body["accepted"], body["duplicates"]) == (1, 1)
    assert stored(world.lotty) == sorted([(first["event_id"],), (second["event_id"],), (third["event_id"],)])


def test_a_rejected_copy_does_not_hide_a_later_valid_one(world):
    valid = event(world)
    broken = dict(valid, properties={"amount": "x"})
    body = send(world.admin, [broken, valid]).json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 0, 1)


def test_a_resent_batch_changes_nothing(world):
    batch = [
        event(world),
        event(world, subject="u-2"),
        event(world, event_type="exposure"),
        event(world, event_type="ghost"),
    ]
    first = send(world.admin, batch).json()
    before = stored(world.lotty, "SELECT * FROM events_hot ORDER BY event_id")
    again = send(world.admin, batch).json()
    assert (first["accepted"], first["rejected"]) == (3, 1)
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 3, 1)
    assert stored(world.lotty, "SELECT * FROM events_hot ORDER BY event_id") == before


def test_concurrent_resends_store_each_event_once(world):
    batch = [event(world) for _ in range(20)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: send(world.admin, batch).json(), range(16)))
    assert sum(a["accepted"] for a in answers) == 20
    assert sum(a["duplicates"] for a in answers) == 20 * 15
    assert len(stored(world.lotty)) == 20


def test_more_than_1000_events_is_400_and_stores_nothing(world):
    response = send(world.admin, [event(world) for _ in range(1001)])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "TOO_MANY_EVENTS"
    assert stored(world.lotty) == []
    assert send(world.admin, [event(world) for _ in range(1000)]).json()["accepted"] == 1000


def test_a_body_over_4_mib_is_413_and_stores_nothing(world):
    events = [event(world, properties={"amount": 1, "currency": "x" * 5000}) for _ in range(900)]
    body = json.dumps({"events": events}).encode()
    assert len(body) > 4 * 1024 * 1024
    headers = {**world.admin._headers(), "Content-Type": "application/json"}
    response = world.admin.client.post("/api/v1/events", content=body, headers=headers)
    assert response.status_code == 413 and response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    # without a Content-Length (chunked) the limit holds while reading
    response = world.admin.client.post("/api/v1/events", content=iter([body]), headers=headers)
    assert response.status_code == 413
    assert stored(world.lotty) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "INVALID_JSON"),
        (b"", "INVALID_JSON"),
        (b"{}", "VALIDATION_ERROR"),
        (b'{"events": 5}', "VALIDATION_ERROR"),
        (b'{"events": [], "extra": 1}', "VALIDATION_ERROR"),
    ],
)
def test_a_malformed_batch_is_400(world, body, code):
    headers = {**world.admin._headers(), "Content-Type": "application/json"}
    response = world.admin.client.post("/api/v1/events", content=body, headers=headers)
    assert response.status_code == 400 and response.json()["error"]["code"] == code


def test_an_empty_batch_is_fine(world):
    assert send(world.admin, []).json() == {"accepted": 0, "duplicates": 0, "rejected": 0, "errors": []}


def _attribution(lotty: Lotty) -> tuple[list, list]:
    attributed = stored(
        lotty, "SELECT event_id FROM attributed_events WHERE event_type = 'purchase' ORDER BY 1"
    )
    pending = stored(lotty, "SELECT event_id FROM pending_events ORDER BY 1")
    return [r[0] for r in attributed], [r[0] for r in pending]


def test_pending_until_the_exposure_arrives_then_attributed(world):
    purchase = event(world)
    send(world.admin, [purchase])
    assert _attribution(world.lotty) == ([], [purchase["event_id"]])
    world.clock.advance(days=6, hours=23)
    send(world.admin, [event(world, event_type="exposure")])
    assert _attribution(world.lotty) == ([purchase["event_id"]], [])


def test_an_exposure_more_than_7_days_later_never_attributes(world):
    purchase = event(world)
    send(world.admin, [purchase])
    world.clock.advance(days=7, minutes=1)
    send(world.admin, [event(world, event_type="exposure")])
    assert _attribution(world.lotty) == ([], [purchase["event_id"]])
    late = "SELECT p.attributable_until < (SELECT max(received_at) FROM exposures) FROM pending_events AS p"
    assert stored(world.lotty, late) == [(True,)]


def test_an_exposure_on_another_decision_does_not_attribute(world):
    purchase = event(world)
    other = world.admin.post(
        "/api/v1/decide", {"subject_id": "u-1", "attributes": {}, "flags": ["button_color"]}
    ).json()["decisions"][0]["decision_id"]
    send(world.admin, [purchase, event(world, event_type="exposure", decision=other)])
    assert _attribution(world.lotty) == ([], [purchase["event_id"]])


def test_events_that_need_no_exposure_count_at_once(world):
    crash = event(world, event_type="crash")
    send(world.admin, [crash])
    assert stored(world.lotty, "SELECT event_id, requires_exposure FROM attributed_events") == [
        (crash["event_id"], False)
    ]


def _reopen_and_send(world, settings, events):
    world.lotty.close()
    reopened = Lotty(settings, clock=world.clock)
    try:
        with TestClient(create_app(lotty=reopened)) as client:
            body = send(Caller(client, ADMIN_KEY), events).json()
        return reopened, body, stored(reopened)
    finally:
        reopened.close()


def test_the_dedup_index_survives_a_restart(world, settings):
    batch = [event(world) for _ in range(5)]
    assert send(world.admin, batch).json()["accepted"] == 5
    reopened, body, rows = _reopen_and_send(world, settings, batch)
    assert len(reopened.events.index) == 5
    assert (body["accepted"], body["duplicates"]) == (0, 5)
    assert len(rows) == 5


def test_new_events_after_a_restart_are_stored(world, settings):
    batch = [event(world) for _ in range(5)]
    send(world.admin, batch)
    _, body, rows = _reopen_and_send(world, settings, [*batch, event(world)])
    assert (body["accepted"], body["duplicates"]) == (1, 5)
    assert len(rows) == 6


def test_an_event_type_created_later_is_accepted_at_once(world):
    assert send(world.admin, [event(world, event_type="signup")]).json()["errors"][0]["code"] == (
        "UNKNOWN_EVENT_TYPE"
    )
    world.admin.post("/api/v1/event-types", {"key": "signup", "requires_exposure": False})
    assert send(world.admin, [event(world, event_type="signup")]).json()["accepted"] == 1


def test_any_valid_key_may_send_events_but_none_is_401(world, make_user):
    assert send(make_user("sdk"), [event(world)]).json()["accepted"] == 1
    response = send(Caller(world.admin.client, None), [event(world)])
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED"
    assert send(Caller(world.admin.client, "lotty_wrong"), [event(world)]).status_code == 401
    assert len(stored(world.lotty)) == 1


def test_runtime_auth_off_opens_events_without_a_key(world, settings):
    world.lotty.settings = dataclasses.replace(settings, runtime_auth=False)
    with TestClient(create_app(lotty=world.lotty)) as client:
        assert send(Caller(client, None), [event(world)]).json()["accepted"] == 1


def test_openapi_documents_the_events_body(client):
    operation = client.get("/schema/openapi.json").json()["paths"]["/api/v1/events"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["events"]["maxItems"] == 1000
