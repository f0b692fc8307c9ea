"""Event types (SPEC §2.2): what products may send, with a property schema; `exposure` is built in."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec

from lotty.auth import Principal, require_editor, require_reader
from lotty.catalog.common import (
    NEWEST_BY_KEY,
    audit,
    check_key,
    check_text,
    from_json,
    naive,
    read_page,
    require_row,
    to_json,
    utc,
)
from lotty.errors import ConflictError, ValidationError
from lotty.model import EventType, EventTypePatch, EventTypeSpec, Page, PropertySpec
from lotty.store import Store, Tx

PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_PROPERTIES = 100
BUILTIN_EXPOSURE = "exposure"


def event_type_from_row(row: dict[str, Any]) -> EventType:
    properties = msgspec.convert(from_json(row["properties"]), dict[str, PropertySpec])
    return EventType(
        key=row["key"],
        description=row["description"],
        requires_exposure=row["requires_exposure"],
        properties=properties,
        archived=row["archived"],
        builtin=row["builtin"],
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
    )


def require_event_type(tx: Tx, key: str) -> EventType:
    return event_type_from_row(
        require_row(tx.fetch_one("catalog/event_types/get", key=key), "event type", key)
    )


def _check_properties(properties: dict[str, PropertySpec]) -> dict[str, PropertySpec]:
    if len(properties) > MAX_PROPERTIES:
        raise ValidationError(f"properties may define at most {MAX_PROPERTIES} names", field="properties")
    for name in properties:
        if not PROPERTY_NAME.fullmatch(name):
            raise ValidationError(
                f"property name {name!r} must match ^[A-Za-z_][A-Za-z0-9_]{{0,63}}$",
                field=f"properties.{name}",
            )
    return properties


def create_event_type(store: Store, actor: Principal, spec: EventTypeSpec, now: datetime) -> EventType:
    require_editor(actor, "create event types")
    check_key(spec.key)
    description = check_text(spec.description, "description")
    properties = _check_properties(spec.properties)
    with store.transaction() as tx:
        if tx.fetch_one("catalog/event_types/get", key=spec.key) is not None:
            raise ConflictError(
                f"event type {spec.key!r} already exists", code="DUPLICATE_KEY", details={"key": spec.key}
            )
        tx.execute(
            "catalog/event_types/insert",
            key=spec.key,
            description=description,
            requires_exposure=spec.requires_exposure,
            properties=to_json(properties),
            now=naive(now),
        )
        created = require_event_type(tx, spec.key)
        audit(
            tx,
            actor=actor.user_id,
            entity="event_type",
            entity_key=spec.key,
            action="create",
            now=now,
            after=created,
        )
    return created


def get_event_type(store: Store, actor: Principal, key: str) -> EventType:
    require_reader(actor)
    with store.read() as tx:
        return require_event_type(tx, key)


def list_event_types(
    store: Store, actor: Principal, limit: int | None, cursor: str | None, include_archived: bool = False
) -> Page:
    require_reader(actor)
    return read_page(
        store,
        "catalog/event_types/list_page",
        NEWEST_BY_KEY,
        limit,
        cursor,
        event_type_from_row,
        include_archived=include_archived,
    )


def update_event_type(
    store: Store, actor: Principal, key: str, patch: EventTypePatch, now: datetime
) -> EventType:
    require_editor(actor, "change event types")
    with store.transaction() as tx:
        before = require_event_type(tx, key)
        description = (
            before.description
            if patch.description is msgspec.UNSET
            else check_text(patch.description, "description")
        )
        requires_exposure = (
            before.requires_exposure if patch.requires_exposure is msgspec.UNSET else patch.requires_exposure
        )
        if before.builtin and requires_exposure != before.requires_exposure:
            raise ValidationError(
                "the built-in exposure type never requires an exposure", field="requires_exposure"
            )
        properties = (
            before.properties if patch.properties is msgspec.UNSET else _check_properties(patch.properties)
        )
        tx.execute(
            "catalog/event_types/update",
            key=key,
            description=description,
            requires_exposure=requires_exposure,
            properties=to_json(properties),
            now=naive(now),
        )
        after = require_event_type(tx, key)
        audit(
            tx,
            actor=actor.user_id,
            entity="event_type",
            entity_key=key,
            action="update",
            now=now,
            before=before,
            after=after,
        )
    return after


def archive_event_type(store: Store, actor: Principal, key: str, now: datetime) -> EventType:
    require_editor(actor, "archive event types")
    with store.transaction() as tx:
        before = require_event_type(tx, key)
        if before.builtin:
            raise ConflictError(f"the built-in event type {key!r} cannot be archived", code="BUILTIN")
        if before.archived:
            return before
        tx.execute("catalog/event_types/archive", key=key, now=naive(now))
        after = require_event_type(tx, key)
        audit(
            tx,
            actor=actor.user_id,
            entity="event_type",
            entity_key=key,
            action="archive",
            now=now,
            before=before,
            after=after,
        )
    return after
