"""Per-event validation (lotty/events/validation.py): pure, with the time and the secret passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lotty.events.schema import compile_event_types, parse_timestamp
from lotty.events.validation import Rejection, check_event, epoch_micros
from lotty.tokens import issue_decision_id

SECRET = b"unit-secret-0123456789"
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
        {"key": "legacy", "requires_exposure": True, "archived": True, "properties": {}},
    ]
)
TOKEN = issue_decision_id(
    SECRET,
    flag="button_color",
    experiment="checkout-cta",
    version=2,
    variant="red",
    subject_id="u-1",
    now_ms=NOW_US // 1000,
)


def valid(**changes):
    event = {
        "event_id": "e-1",
        "event_type": "purchase",
        "decision_id": TOKEN,
        "subject_id": "u-1",
        "timestamp": "2026-11-21T11:59:00Z",
        "properties": {"amount": 9.5},
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not ...}


def check(event, now_us=NOW_US, **kw):
    return check_event(3, event, SCHEMAS, SECRET, now_us, **kw)


def test_a_valid_event_becomes_a_row_with_the_decision_copied():
    assert check(valid()) == (
        "e-1",
        "purchase",
        TOKEN,
        "u-1",
        "button_color",
        "checkout-cta",
        2,
        "red",
        NOW_US - 60_000_000,
        NOW_US,
        '{"amount":9.5}',
    )


@pytest.mark.parametrize(
    ("event", "code", "field"),
    [
        ("click", "INVALID_EVENT", None),
        (valid(extra=1), "UNKNOWN_FIELD", "extra"),
        (valid(event_id=...), "MISSING_FIELD", "event_id"),
        (valid(event_id=None), "MISSING_FIELD", "event_id"),
        (valid(event_id=""), "INVALID_FIELD", "event_id"),
        (valid(event_id="x" * 257), "INVALID_FIELD", "event_id"),
        (valid(event_id=["e"]), "INVALID_FIELD", "event_id"),
        (valid(event_type=...), "MISSING_FIELD", "event_type"),
        (valid(event_type="ghost"), "UNKNOWN_EVENT_TYPE", "event_type"),
        (valid(event_type="legacy"), "ARCHIVED_EVENT_TYPE", "event_type"),
        (valid(decision_id=...), "MISSING_FIELD", "decision_id"),
        (valid(decision_id=5), "INVALID_FIELD", "decision_id"),
        (valid(subject_id=...), "MISSING_FIELD", "subject_id"),
        (valid(subject_id="   "), "INVALID_FIELD", "subject_id"),
        (valid(timestamp=...), "MISSING_FIELD", "timestamp"),
        (valid(timestamp=1_700_000_000), "INVALID_FIELD", "timestamp"),
        (valid(timestamp="2026-11-21T11:59:00"), "INVALID_FIELD", "timestamp"),
        (valid(timestamp="2026-11-21"), "INVALID_FIELD", "timestamp"),
        (valid(properties="amount=1"), "INVALID_FIELD", "properties"),
        (valid(properties=...), "MISSING_PROPERTY", "properties.amount"),
        (valid(properties={}), "MISSING_PROPERTY", "properties.amount"),
        (valid(properties={"amount": None}), "MISSING_PROPERTY", "properties.amount"),
        (valid(properties={"amount": "9.5"}), "INVALID_PROPERTY", "properties.amount"),
        (valid(properties={"amount": False}), "INVALID_PROPERTY", "properties.amount"),
        (valid(properties={"amount": [1]}), "INVALID_PROPERTY", "properties.amount"),
        (valid(properties={"amount": 1, "currency": 1}), "INVALID_PROPERTY", "properties.currency"),
        (valid(properties={"amount": 1, "gift": 0}), "INVALID_PROPERTY", "properties.gift"),
        (valid(properties={"amount": 1, "paid_at": "2026-11-21"}), "INVALID_PROPERTY", "properties.paid_at"),
        (valid(properties={"amount": 1, "Amount": 1}), "UNKNOWN_PROPERTY", "properties.Amount"),
        (valid(decision_id="x" * 80), "INVALID_DECISION_ID", "decision_id"),
        (
            valid(decision_id=TOKEN[:-1] + ("A" if TOKEN[-1] != "A" else "B")),
            "INVALID_DECISION_ID",
            "decision_id",
        ),
        (valid(subject_id="u-2"), "SUBJECT_MISMATCH", "subject_id"),
        (valid(timestamp="2026-11-21T12:05:00.000001Z"), "TIMESTAMP_IN_FUTURE", "timestamp"),
        (valid(timestamp="2026-10-22T11:59:59.999999Z"), "TIMESTAMP_TOO_OLD", "timestamp"),
    ],
)
def test_each_rejection_has_a_stable_code_and_names_the_field(event, code, field):
    rejection = check(event)
    assert isinstance(rejection, Rejection)
    assert (rejection.index, rejection.code, rejection.field) == (3, code, field)
    if field is not None:
        assert field in rejection.message or code == "SUBJECT_MISMATCH" or code.startswith("TIMESTAMP_")


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-11-21T12:05:00Z",
        "2026-10-22T12:00:00Z",
        "2026-11-21T15:00:00+03:00",
        "2026-11-21 12:00:00.5-00:00",
    ],
)
def test_bounds_are_inclusive_and_offsets_are_honoured(timestamp):
    assert isinstance(check(valid(timestamp=timestamp)), tuple)


def test_the_first_failure_is_the_one_reported():
    rejection = check(valid(event_id=None, event_type="ghost", subject_id="u-2"))
    assert isinstance(rejection, Rejection) and rejection.field == "event_id"


def test_optional_properties_may_be_null_or_absent_and_are_stored_as_given():
    row = check(
        valid(
            properties={"amount": 1, "currency": None, "gift": True, "paid_at": "2026-11-21T10:00:00+01:00"}
        )
    )
    assert isinstance(row, tuple)
    assert row[-1] == '{"amount":1,"currency":null,"gift":true,"paid_at":"2026-11-21T10:00:00+01:00"}'


def test_an_exposure_takes_no_properties_but_an_empty_object():
    assert isinstance(check(valid(event_type="exposure", properties={})), tuple)
    assert isinstance(check(valid(event_type="exposure", properties=...)), tuple)
    rejection = check(valid(event_type="exposure", properties={"amount": 1}))
    assert isinstance(rejection, Rejection) and rejection.code == "UNKNOWN_PROPERTY"


def test_a_default_decision_has_no_experiment_in_the_row():
    token = issue_decision_id(
        SECRET, flag="plain", experiment=None, version=None, variant=None, subject_id="u-1", now_ms=0
    )
    row = check(valid(decision_id=token))
    assert isinstance(row, tuple) and row[4:8] == ("plain", None, None, None)


def test_a_decision_id_is_verified_once_per_batch():
    cache: dict = {}
    assert isinstance(check(valid(), claims_cache=cache), tuple)
    assert list(cache) == [TOKEN]
    cache[TOKEN] = cache[TOKEN].__class__(  # a cached answer is trusted: prove it is used
        "other", None, None, None, cache[TOKEN].subject_digest, 0, bytes(8)
    )
    row = check(valid(event_id="e-2"), claims_cache=cache)
    assert isinstance(row, tuple) and row[4] == "other"


def test_a_token_from_another_secret_does_not_verify():
    foreign = issue_decision_id(
        b"another-secret-456789",
        flag="f",
        experiment=None,
        version=None,
        variant=None,
        subject_id="u-1",
        now_ms=0,
    )
    rejection = check(valid(decision_id=foreign))
    assert isinstance(rejection, Rejection) and rejection.code == "INVALID_DECISION_ID"
    assert "signature" in rejection.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-21T12:00:00Z", NOW),
        ("2026-11-21T12:00:00.250+00:00", NOW + timedelta(milliseconds=250)),
        ("2026-11-21T14:00:00+02:00", NOW),
        ("2026-11-21T12:00:00", None),
        ("2026-11-21", None),
        ("2026-W47-6T12:00:00Z", None),
        ("noon", None),
        ("", None),
        (None, None),
        (1_700_000_000, None),
        ("2026-11-21T12:00:00Z" + " " * 60, None),
    ],
)
def test_parse_timestamp(text, expected):
    assert parse_timestamp(text) == expected
