"""Per-event checks of SPEC §4, pure: the event, the compiled schemas, the secret and `now` in;
a row for the fact writer or a rejection out. No clock, database or network.

Checks run in this order and the first failure is reported (one error per event):
the event is an object without unknown fields; event_id, event_type (known, not archived),
decision_id, subject_id and timestamp are present and well formed; properties match the type's
schema; the decision_id verifies and was issued for this subject_id; the timestamp is at most
5 minutes ahead of `now` and at most 30 days behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from lotty.events.schema import EventSchema, EventSchemas, parse_timestamp
from lotty.tokens import DecisionClaims, InvalidDecisionId, verify_decision_id

MAX_EVENTS = 1000
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_EVENT_ID_CHARS = 256
MAX_SUBJECT_ID_CHARS = 256
MAX_FUTURE_US = 5 * 60 * 1_000_000
MAX_AGE_US = 30 * 24 * 3600 * 1_000_000
EVENT_FIELDS = ("event_id", "event_type", "decision_id", "subject_id", "timestamp", "properties")
_KNOWN_FIELDS = frozenset(EVENT_FIELDS)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# Stable codes of per-event rejections (docs/events.md lists them with examples).
INVALID_EVENT = "INVALID_EVENT"  # not a JSON object
UNKNOWN_FIELD = "UNKNOWN_FIELD"  # a field the event shape does not have
MISSING_FIELD = "MISSING_FIELD"  # event_id, event_type, decision_id, subject_id or timestamp absent/null
INVALID_FIELD = "INVALID_FIELD"  # present but of the wrong JSON type, empty, too long or unparsable
UNKNOWN_EVENT_TYPE = "UNKNOWN_EVENT_TYPE"
ARCHIVED_EVENT_TYPE = "ARCHIVED_EVENT_TYPE"
UNKNOWN_PROPERTY = "UNKNOWN_PROPERTY"  # a property the event type does not define
MISSING_PROPERTY = "MISSING_PROPERTY"  # a required property absent or null
INVALID_PROPERTY = "INVALID_PROPERTY"  # a property value of the wrong type
INVALID_DECISION_ID = "INVALID_DECISION_ID"
SUBJECT_MISMATCH = "SUBJECT_MISMATCH"
TIMESTAMP_IN_FUTURE = "TIMESTAMP_IN_FUTURE"
TIMESTAMP_TOO_OLD = "TIMESTAMP_TOO_OLD"

Row = tuple[Any, ...]
"""One `events` row in FACT_SCHEMAS order: event_id, event_type, decision_id, subject_id, flag,
experiment, experiment_version, variant, ts (µs), received_at (µs), properties (JSON text)."""
ROW_WIDTH = 11
Columns = list[list[Any]]
"""Rows given column by column: ROW_WIDTH lists of equal length, in the order of `Row`."""


def to_columns(rows: Sequence[Row]) -> Columns:
    """The same rows, one list per column."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(ROW_WIDTH)]


ClaimsCache = dict[str, DecisionClaims | InvalidDecisionId]

_encode_json = msgspec.json.Encoder().encode


class Rejection(msgspec.Struct, frozen=True, kw_only=True):
    """Why the event at `index` of a batch was not stored; `field` names the culprit if one is."""

    index: int
    code: str
    message: str
    field: str | None = None


class _Rejected(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        self.code, self.message, self.field = code, message, field


def epoch_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime, exactly (no float rounding)."""
    return (moment - _EPOCH) // _MICROSECOND


def check_event(
    index: int,
    event: Any,
    schemas: EventSchemas,
    secret: bytes,
    now_us: int,
    claims_cache: ClaimsCache | None = None,
) -> Row | Rejection:
    """The row to store for one event received at `now_us`, or why it is rejected.

    `claims_cache` (decision_id → claims or the error) spares re-verifying a decision_id that
    several events of one batch share; pass a fresh dict per batch.
    """
    try:
        return _check(event, schemas, secret, now_us, {} if claims_cache is None else claims_cache)
    except _Rejected as rejected:
        return Rejection(index=index, code=rejected.code, message=rejected.message, field=rejected.field)


def _check(event: Any, schemas: EventSchemas, secret: bytes, now_us: int, cache: ClaimsCache) -> Row:
    if not isinstance(event, dict):
        raise _Rejected(INVALID_EVENT, f"an event must be a JSON object, got {_json_type(event)}")
    if not _KNOWN_FIELDS.issuperset(event):
        unknown = sorted(str(name) for name in event if name not in _KNOWN_FIELDS)[0]
        raise _Rejected(
            UNKNOWN_FIELD, f"unknown field {unknown!r} (an event has {', '.join(EVENT_FIELDS)})", unknown
        )
    event_id = _string(event, "event_id", MAX_EVENT_ID_CHARS)
    type_key = _string(event, "event_type", None)
    schema = schemas.get(type_key)
    if schema is None:
        raise _Rejected(
            UNKNOWN_EVENT_TYPE, f"event_type {type_key!r} is not a known event type", "event_type"
        )
    if schema.archived:
        raise _Rejected(
            ARCHIVED_EVENT_TYPE, f"event_type {type_key!r} is archived and takes no events", "event_type"
        )
    decision_id = _string(event, "decision_id", None)
    subject_id = _string(event, "subject_id", MAX_SUBJECT_ID_CHARS)
    raw_ts = event.get("timestamp")
    if raw_ts is None:
        raise _Rejected(MISSING_FIELD, "timestamp is required", "timestamp")
    moment = parse_timestamp(raw_ts)
    if moment is None:
        raise _Rejected(
            INVALID_FIELD,
            f"timestamp must be an RFC 3339 date-time with an offset (e.g. 2026-11-21T12:00:00Z), "
            f"got {_shown(raw_ts)}",
            "timestamp",
        )
    properties = _check_properties(event.get("properties"), schema)
    claims = cache.get(decision_id)
    if claims is None:
        try:
            claims = verify_decision_id(secret, decision_id)
        except InvalidDecisionId as error:
            claims = error
        cache[decision_id] = claims
    if isinstance(claims, InvalidDecisionId):
        raise _Rejected(INVALID_DECISION_ID, claims.message, "decision_id")
    if not claims.matches_subject(subject_id):
        raise _Rejected(
            SUBJECT_MISMATCH, "subject_id is not the subject the decision_id was issued for", "subject_id"
        )
    ts_us = epoch_micros(moment)
    if ts_us > now_us + MAX_FUTURE_US:
        raise _Rejected(TIMESTAMP_IN_FUTURE, "timestamp is more than 5 minutes in the future", "timestamp")
    if ts_us < now_us - MAX_AGE_US:
        raise _Rejected(TIMESTAMP_TOO_OLD, "timestamp is more than 30 days in the past", "timestamp")
    return (
        event_id,
        type_key,
        decision_id,
        subject_id,
        claims.flag,
        claims.experiment,
        claims.version,
        claims.variant,
        ts_us,
        now_us,
        properties,
    )


def _string(event: dict[str, Any], name: str, limit: int | None) -> str:
    value = event.get(name)
    if value is None:
        raise _Rejected(MISSING_FIELD, f"{name} is required", name)
    if not isinstance(value, str):
        raise _Rejected(INVALID_FIELD, f"{name} must be a string, got {_json_type(value)}", name)
    if not value.strip():
        raise _Rejected(INVALID_FIELD, f"{name} must not be empty", name)
    if limit is not None and len(value) > limit:
        raise _Rejected(INVALID_FIELD, f"{name} is longer than {limit} characters", name)
    return value


def _check_properties(properties: Any, schema: EventSchema) -> str:
    """The properties as JSON text to store, after checking them against the type's schema.

    Unknown names are rejected (a typo would otherwise silently drop data from every metric);
    null counts as absent: fine for an optional property, missing for a required one.
    """
    if properties is None:
        properties = {}
    elif not isinstance(properties, dict):
        raise _Rejected(
            INVALID_FIELD, f"properties must be a JSON object, got {_json_type(properties)}", "properties"
        )
    rules = schema.properties
    for name, value in properties.items():
        rule = rules.get(name)
        if rule is None:
            raise _Rejected(
                UNKNOWN_PROPERTY,
                f"properties.{name} is not a property of event type {schema.key!r}",
                f"properties.{name}",
            )
        if value is not None and not rule.check(value):
            expected = "an RFC 3339 date-time string" if rule.type == "timestamp" else f"a {rule.type}"
            raise _Rejected(
                INVALID_PROPERTY,
                f"properties.{name} must be {expected}, got {_json_type(value)} {_shown(value)}",
                f"properties.{name}",
            )
    for name in schema.required:
        if properties.get(name) is None:
            raise _Rejected(
                MISSING_PROPERTY,
                f"properties.{name} is required by event type {schema.key!r}",
                f"properties.{name}",
            )
    return _encode_json(properties).decode()


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _shown(value: Any) -> str:
    text = _encode_json(value).decode()
    return text if len(text) <= 40 else text[:37] + "..."
