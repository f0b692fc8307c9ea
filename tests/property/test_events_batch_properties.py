"""The column-wise batch checks give exactly what the per-event reference gives, on generated batches.

Batches are encoded to JSON and decoded the way the route decodes them, so both paths are covered:
batches of plain-shape events (decoded into structs and checked column-wise, with every reject
reason of SPEC §4 generated among them) and batches of anything (decoded as plain JSON).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from lotty.events.batch import TokenCache, WireEvent, check_batch, check_each
from lotty.events.ingest import decode_batch
from lotty.events.schema import compile_event_types
from lotty.events.validation import epoch_micros
from lotty.tokens import issue_decision_id

SECRET = b"property-secret-0123456789"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NOW_US = epoch_micros(NOW)
SCHEMAS = compile_event_types(
    [
        {"key": "exposure", "requires_exposure": False, "archived": False, "properties": "{}"},
        {
            "key": "purchase",
            "requires_exposure": True,
            "archived": False,
            "properties": '{"amount": {"type": "number", "required": true}, "currency": {"type": "string"},'
            ' "gift": {"type": "boolean"}, "paid_at": {"type": "timestamp"}}',
        },
        {
            "key": "signup",
            "requires_exposure": False,
            "archived": False,
            "properties": '{"plan": {"type": "string", "required": true}}',
        },
        {"key": "legacy", "requires_exposure": True, "archived": True, "properties": {}},
        # The catalog never makes a blank key, but the checks must not lean on that.
        {"key": " ", "requires_exposure": False, "archived": False, "properties": {}},
    ]
)


def _token(subject: str, secret: bytes = SECRET, experiment: str | None = "checkout-cta") -> str:
    return issue_decision_id(
        secret,
        flag="button_color",
        experiment=experiment,
        version=2 if experiment else None,
        variant="red" if experiment else None,
        subject_id=subject,
        now_ms=NOW_US // 1000,
    )


VALID_TOKENS = [_token("u-1"), _token("u-2"), _token("u-1", experiment=None)]
TOKENS = [
    *VALID_TOKENS,
    _token("u-1", secret=b"another-secret-987654321"),
    VALID_TOKENS[0][:-1] + ("A" if VALID_TOKENS[0][-1] != "A" else "B"),
    "not-a-token",
    "x" * 2000,
    "",
    "  ",
]


def _stamp(delta: timedelta, offset: str = "Z") -> str:
    moment = NOW + delta
    if offset == "Z":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    hours = int(offset[:3])
    shifted = moment + timedelta(hours=hours)
    return shifted.strftime("%Y-%m-%dT%H:%M:%S.%f") + offset


STAMPS = [
    _stamp(timedelta(minutes=-1)),
    _stamp(timedelta(seconds=-30), "+03:00"),
    _stamp(timedelta(minutes=5)),
    _stamp(timedelta(minutes=5, microseconds=1)),
    _stamp(timedelta(days=-30)),
    _stamp(timedelta(days=-30, microseconds=-1)),
    _stamp(timedelta(days=-400)),
    "2026-11-21T11:59:00Z",
    "2026-11-21 11:59:00-00:00",
    "2026-11-21t11:59:00+00:00",
    "2026-11-21T11:59:00",
    "2026-11-21",
    "2026-W47-6T12:00:00Z",
    "2026-02-30T12:00:00Z",
    " 2026-11-21T11:59:00Z",
    "2026-11-21T11:59:00Z" + " " * 60,
    "noon",
    "",
]

strings = st.one_of(
    st.sampled_from(["a", "b", "u-1", "u-2", "u-3", "", " ", "\t\n", "é", "x" * 256, "x" * 257]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, 1.5, True, False, "1", "true"]),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    strings,
    st.sampled_from(STAMPS),
)
json_values = st.one_of(
    json_scalars, st.lists(json_scalars, max_size=2), st.dictionaries(strings, json_scalars, max_size=2)
)
property_names = st.sampled_from(["amount", "currency", "gift", "paid_at", "plan", "Amount"])
properties = st.one_of(
    st.none(), st.dictionaries(property_names, json_values, max_size=4), st.just({"amount": 9.5})
)


VALID_PROPERTIES = {
    "exposure": st.one_of(st.just(...), st.none(), st.just({})),
    "purchase": st.fixed_dictionaries(
        {"amount": st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))},
        optional={
            "currency": st.one_of(st.none(), strings),
            "gift": st.one_of(st.none(), st.booleans()),
            "paid_at": st.one_of(st.none(), st.sampled_from(STAMPS[:3])),
        },
    ),
    "signup": st.fixed_dictionaries({"plan": strings}),
}


@st.composite
def valid_events(draw: Any) -> dict[str, Any]:
    """Events that pass every check (so the batch path builds their rows itself)."""
    subject, token = draw(
        st.sampled_from([("u-1", VALID_TOKENS[0]), ("u-2", VALID_TOKENS[1]), ("u-1", VALID_TOKENS[2])])
    )
    event_type = draw(st.sampled_from(sorted(VALID_PROPERTIES)))
    event = {
        "event_id": draw(st.sampled_from(["e-1", "e-2", "e-3", "e-4"])),
        "event_type": event_type,
        "decision_id": token,
        "subject_id": subject,
        "timestamp": draw(st.sampled_from(STAMPS[:6:2] + STAMPS[7:10])),
    }
    props = draw(VALID_PROPERTIES[event_type])
    if props is not ...:
        event["properties"] = props
    return event


@st.composite
def random_plain_events(draw: Any) -> dict[str, Any]:
    """Events of the plain shape with values drawn from lists of good and bad ones."""
    event = {
        "event_id": draw(st.one_of(st.sampled_from(["e-1", "e-2", "e-3"]), strings)),
        "event_type": draw(st.sampled_from(["exposure", "purchase", "signup", "legacy", "ghost", "", " "])),
        "decision_id": draw(st.sampled_from(TOKENS)),
        "subject_id": draw(st.one_of(st.sampled_from(["u-1", "u-2"]), strings)),
        "timestamp": draw(st.sampled_from(STAMPS)),
    }
    props = draw(st.one_of(st.just(...), properties))
    if props is not ...:
        event["properties"] = props
    return event


@st.composite
def plain_events(draw: Any) -> dict[str, Any]:
    """Valid events, each then possibly given one bad value (every value-level reject reason)."""
    event = draw(valid_events())
    change = draw(st.sampled_from(["none", "field", "property"]))
    if change == "field":
        other = draw(random_plain_events())
        field = draw(st.sampled_from(sorted(other)))
        event[field] = other[field]
    elif change == "property" and isinstance(event.get("properties"), dict):
        event["properties"][draw(property_names)] = draw(st.one_of(json_scalars, json_values))
    return event


@st.composite
def any_events(draw: Any) -> Any:
    """Plain events with a field dropped, nulled, mistyped or added, and values that are no object."""
    event = draw(plain_events())
    change = draw(st.sampled_from(["none", "drop", "null", "mistype", "extra", "not an object"]))
    field = draw(st.sampled_from(sorted(event)))
    if change == "drop":
        del event[field]
    elif change == "null":
        event[field] = None
    elif change == "mistype":
        event[field] = draw(json_values)
    elif change == "extra":
        event[draw(st.sampled_from(["extra", "Event_id", "props"]))] = draw(json_scalars)
    elif change == "not an object":
        return draw(json_values)
    return event


def _both(events: list[Any]) -> tuple[Any, Any]:
    body = msgspec.json.encode({"events": events})
    decoded = decode_batch(body)
    reference = check_each(msgspec.json.decode(body)["events"], SCHEMAS, SECRET, NOW_US, TokenCache())
    return check_batch(decoded, SCHEMAS, SECRET, NOW_US, TokenCache()), reference


@settings(max_examples=400, deadline=None)
@given(st.lists(plain_events(), max_size=12))
def test_column_wise_checks_equal_the_per_event_reference_on_plain_batches(events):
    assert all(type(event) is WireEvent for event in decode_batch(msgspec.json.encode({"events": events})))
    batch, reference = _both(events)
    assert batch == reference


@settings(max_examples=300, deadline=None)
@given(st.lists(any_events(), max_size=8))
def test_any_batch_gets_the_reference_answer(events):
    batch, reference = _both(events)
    assert batch == reference


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(plain_events(), max_size=6), min_size=2, max_size=4))
def test_decision_ids_remembered_across_batches_change_no_answer(batches):
    tokens = TokenCache(limit=3)  # small, so it is also emptied along the way
    for events in batches:
        decoded = decode_batch(msgspec.json.encode({"events": events}))
        fresh = check_each(events, SCHEMAS, SECRET, NOW_US, TokenCache())
        assert check_batch(decoded, SCHEMAS, SECRET, NOW_US, tokens) == fresh
        assert len(tokens.claims) <= 3 + len(events)
    for events in batches:  # the reference path keeps the same bound
        check_each([*events, "not an event"], SCHEMAS, SECRET, NOW_US, tokens)
        assert len(tokens.claims) <= 3 + len(events)
