"""Event types compiled for the ingest path: per type, what each property must be.

Built from the catalog after every change and swapped whole, like the decide snapshot; validation
reads one `EventSchemas` per batch and never the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

import msgspec

from lotty.store import Store

MAX_TIMESTAMP_CHARS = 64
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 string with an offset (`Z` or `±hh:mm`) as an aware datetime; None otherwise."""
    if not isinstance(value, str) or len(value) > MAX_TIMESTAMP_CHARS:
        return None
    if not _DATE_TIME.match(value):  # a calendar date and a time, not a bare date or an ISO week
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_timestamp(value: Any) -> bool:
    return parse_timestamp(value) is not None


TYPE_CHECKS: Mapping[str, Callable[[Any], bool]] = MappingProxyType(
    {
        "string": lambda value: isinstance(value, str),
        "number": _is_number,
        "boolean": lambda value: isinstance(value, bool),
        "timestamp": _is_timestamp,
    }
)
"""Which JSON values each property type takes (`timestamp`: an RFC 3339 string with an offset)."""


@dataclass(frozen=True, slots=True)
class PropertyRule:
    name: str
    type: str
    required: bool
    check: Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class EventSchema:
    key: str
    requires_exposure: bool
    archived: bool
    properties: Mapping[str, PropertyRule]
    required: tuple[str, ...]  # names of the required properties, in name order


EventSchemas = Mapping[str, EventSchema]


def compile_event_type(
    key: str, requires_exposure: bool, archived: bool, properties: Mapping[str, Mapping[str, Any]]
) -> EventSchema:
    rules = {
        name: PropertyRule(name, spec["type"], bool(spec.get("required", False)), TYPE_CHECKS[spec["type"]])
        for name, spec in sorted(properties.items())
    }
    return EventSchema(
        key=key,
        requires_exposure=requires_exposure,
        archived=archived,
        properties=MappingProxyType(rules),
        required=tuple(name for name, rule in rules.items() if rule.required),
    )


def compile_event_types(rows: Iterable[Mapping[str, Any]]) -> EventSchemas:
    """Rows of `sql/events/event_types.sql` (properties as JSON text or a mapping) → schemas by key."""
    compiled = {}
    for row in rows:
        properties = row["properties"]
        if isinstance(properties, str):
            properties = msgspec.json.decode(properties)
        compiled[row["key"]] = compile_event_type(
            row["key"], row["requires_exposure"], row["archived"], properties
        )
    return MappingProxyType(compiled)


def load_event_schemas(store: Store) -> EventSchemas:
    with store.read() as tx:
        rows = tx.fetch_all("events/event_types")
    return compile_event_types(rows)
