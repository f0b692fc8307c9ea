"""Column-wise checks of a whole batch, giving exactly what `check_event` gives event by event.

A batch whose events all have the plain shape (objects with only the six fields, the five
required ones strings, `properties` an object or null) is decoded straight into `WireEvent`
structs. Its checks then run once per column or once per distinct value (event types, timestamps,
decision ids, decision id and subject pairs) in C-level loops, instead of once per event in Python.

The bulk checks only flag: an event any of them flags is handed to `check_event`, the per-event
reference, which returns its row or its exact rejection. So a bulk check need only be sufficient
for "this event passes" (never the judge of why one fails), and a batch in any other shape goes
to the reference whole. `tests/property/test_events_batch_properties.py` holds the two equal.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import msgspec

from lotty.events.schema import EventSchema, EventSchemas, parse_timestamp
from lotty.events.validation import (
    MAX_AGE_US,
    MAX_EVENT_ID_CHARS,
    MAX_FUTURE_US,
    MAX_SUBJECT_ID_CHARS,
    ClaimsCache,
    Columns,
    Rejection,
    Row,
    check_event,
    epoch_micros,
    to_columns,
)
from lotty.tokens import DecisionClaims, InvalidDecisionId, verify_decision_id

MAX_CACHED_TOKENS = 16_384
"""Decision ids remembered across batches (an exposure and its conversions share one, often in
different batches); the cache is emptied when full, so it holds at most this many plus a batch."""

_encode_json = msgspec.json.Encoder().encode
_NONE = type(None)
_TAKES: dict[str, frozenset[type]] = {
    "string": frozenset({str, _NONE}),
    "number": frozenset({int, float, _NONE}),
    "boolean": frozenset({bool, _NONE}),
    "timestamp": frozenset({str, _NONE}),
}
"""The exact Python types of decoded JSON each property type takes (null counts as absent); a
subclass (bool is an int) or any other type is left to the reference check."""


class WireEvent(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One event of the plain shape, as msgspec decodes it (no Python-level work per field)."""

    event_id: str
    event_type: str
    decision_id: str
    subject_id: str
    timestamp: str
    properties: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON object this event was decoded from (absent and null properties are alike)."""
        event = msgspec.structs.asdict(self)
        if event["properties"] is None:
            del event["properties"]
        return event


class TokenCache:
    """Verified decision ids of one secret: their claims (or why they do not verify) and the
    subject_id each was last seen to match, so neither the signature nor the subject digest is
    computed twice for the same token. Bounded by `limit` entries."""

    def __init__(self, limit: int = MAX_CACHED_TOKENS):
        self.limit = limit
        self.claims: ClaimsCache = {}
        self.subjects: dict[str, str] = {}

    def trim(self) -> None:
        """Empty the cache when it is full (call once per batch: a batch adds at most 1000)."""
        if len(self.claims) >= self.limit:
            self.claims.clear()
            self.subjects.clear()

    def verify(self, secret: bytes, token: str) -> DecisionClaims | InvalidDecisionId:
        claims = self.claims.get(token)
        if claims is None:
            try:
                claims = verify_decision_id(secret, token)
            except InvalidDecisionId as error:
                claims = error
            self.claims[token] = claims
        return claims

    def matches(self, token: str, claims: DecisionClaims, subject_id: str) -> bool:
        if self.subjects.get(token) == subject_id:
            return True
        if claims.matches_subject(subject_id):
            self.subjects[token] = subject_id
            return True
        return False


def check_batch(
    events: Sequence[Any], schemas: EventSchemas, secret: bytes, now_us: int, tokens: TokenCache
) -> tuple[Columns, list[Rejection]]:
    """The rows to store, in batch order and column by column, and the rejections, by index: the
    same as `check_event` on each event in turn (`tokens` may carry verified decision ids over
    from earlier batches)."""
    if not events or not set(map(type, events)) <= {WireEvent}:
        return check_each(events, schemas, secret, now_us, tokens)
    tokens.trim()
    ids = [event.event_id for event in events]
    types = [event.event_type for event in events]
    decisions = [event.decision_id for event in events]
    subjects = [event.subject_id for event in events]
    stamps = [event.timestamp for event in events]
    properties = [event.properties or {} for event in events]

    flagged: set[int] = set()
    flagged.update(_bad_strings(ids, MAX_EVENT_ID_CHARS))
    flagged.update(_bad_strings(subjects, MAX_SUBJECT_ID_CHARS))
    flagged.update(_bad_types_and_properties(types, properties, schemas))
    micros = {stamp: _timestamp_micros(stamp, now_us) for stamp in set(stamps)}
    if None in micros.values():
        flagged.update(i for i, stamp in enumerate(stamps) if micros[stamp] is None)
    outcomes, subject_of = _verified_outcomes(decisions, subjects, secret, tokens)
    expected = list(map(subject_of.get, decisions))
    if expected != subjects:  # an unverified decision_id, or another subject than its decision's
        flagged.update(i for i, (a, b) in enumerate(zip(expected, subjects, strict=True)) if a != b)

    texts = list(map(bytes.decode, map(_encode_json, properties)))
    if not flagged:  # the usual batch: the columns are built whole, no tuple per event
        decided = map(outcomes.__getitem__, decisions)
        flags, experiments, versions, variants = map(list, zip(*decided, strict=True))
        times = list(map(micros.__getitem__, stamps))
        received = [now_us] * len(events)
        return [
            ids,
            types,
            decisions,
            subjects,
            flags,
            experiments,
            versions,
            variants,
            times,
            received,
            texts,
        ], []
    rows: list[Row] = []
    rejections: list[Rejection] = []
    columns = zip(ids, types, decisions, subjects, stamps, texts, strict=True)
    for index, (i, t, d, s, ts, text) in enumerate(columns):
        if index not in flagged:
            rows.append((i, t, d, s, *outcomes[d], micros[ts], now_us, text))
            continue
        outcome = check_event(index, events[index].as_json(), schemas, secret, now_us, tokens.claims)
        if isinstance(outcome, Rejection):
            rejections.append(outcome)
        else:
            rows.append(outcome)
    return to_columns(rows), rejections


def check_each(
    events: Sequence[Any], schemas: EventSchemas, secret: bytes, now_us: int, tokens: TokenCache
) -> tuple[Columns, list[Rejection]]:
    """The reference: `check_event` on every event in turn."""
    tokens.trim()
    rows: list[Row] = []
    rejections: list[Rejection] = []
    for index, event in enumerate(events):
        outcome = check_event(index, event, schemas, secret, now_us, tokens.claims)
        if isinstance(outcome, Rejection):
            rejections.append(outcome)
        else:
            rows.append(outcome)
    return to_columns(rows), rejections


def _bad_strings(column: list[str], limit: int | None) -> list[int]:
    """Indices of blank values or values over `limit` characters (none, usually: found in C)."""
    most = sys.maxsize if limit is None else limit
    if all(map(str.strip, column)) and max(map(len, column), default=0) <= most:
        return []
    return [i for i, value in enumerate(column) if not value.strip() or len(value) > most]


def _bad_types_and_properties(
    types: list[str], properties: list[dict[str, Any]], schemas: EventSchemas
) -> list[int]:
    """Indices of events whose type is unknown or archived or whose properties may not fit it."""
    groups: dict[str, list[int]] = {}
    if len(set(types)) == 1:
        groups[types[0]] = list(range(len(types)))
    else:
        for i, key in enumerate(types):
            groups.setdefault(key, []).append(i)
    flagged: list[int] = []
    for key, indices in groups.items():
        schema = schemas.get(key)
        if schema is None or schema.archived or not key.strip():
            flagged.extend(indices)
        else:
            group = properties if len(indices) == len(types) else [properties[i] for i in indices]
            flagged.extend(indices[j] for j in _bad_properties(group, schema))
    return flagged


def _bad_properties(group: list[dict[str, Any]], schema: EventSchema) -> list[int]:
    """Positions in `group` whose properties may break the schema: an unknown name, a value of
    another type, an unparsable timestamp or a required property missing or null."""
    rules = schema.properties
    names = frozenset(rules)
    flagged: list[int] = []
    if not all(map(names.issuperset, group)):
        flagged.extend(j for j, props in enumerate(group) if not names.issuperset(props))
    for name, rule in rules.items():
        values = list(map(dict.get, group, repeat(name)))
        kinds = set(map(type, values))
        takes = _TAKES[rule.type]
        if not kinds <= takes or (rule.required and _NONE in kinds):
            flagged.extend(
                j
                for j, value in enumerate(values)
                if type(value) not in takes or (rule.required and value is None)
            )
        if rule.type == "timestamp":
            texts = {value for value in values if type(value) is str}
            unparsable = {text for text in texts if parse_timestamp(text) is None}
            if unparsable:
                flagged.extend(
                    j for j, value in enumerate(values) if type(value) is str and value in unparsable
                )
    return flagged


def _timestamp_micros(stamp: str, now_us: int) -> int | None:
    """Microseconds since the epoch of a timestamp within the accepted window; None otherwise."""
    moment = parse_timestamp(stamp)
    if moment is None:
        return None
    micros = epoch_micros(moment)
    return micros if now_us - MAX_AGE_US <= micros <= now_us + MAX_FUTURE_US else None


Outcome = tuple[str, str | None, int | None, str | None]


def _verified_outcomes(
    decisions: list[str], subjects: list[str], secret: bytes, tokens: TokenCache
) -> tuple[dict[str, Outcome], dict[str, str]]:
    """For each distinct decision_id that verifies: its flag, experiment, version and variant, and
    (when one of the batch's subject_ids was checked against it and matched) that subject_id.

    Blank decision ids need no check of their own: whitespace is no base64url, so they never verify.
    """
    outcomes: dict[str, Outcome] = {}
    subject_of: dict[str, str] = {}
    for token, subject in dict(zip(decisions, subjects, strict=True)).items():  # one subject per token
        claims = tokens.verify(secret, token)
        if isinstance(claims, InvalidDecisionId):
            continue
        outcomes[token] = (claims.flag, claims.experiment, claims.version, claims.variant)
        if tokens.matches(token, claims, subject):
            subject_of[token] = subject
    return outcomes, subject_of
