"""Metrics (SPEC §2.3): named computations over attributed events, one of six kinds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from lotty.auth import Principal, require_editor, require_reader
from lotty.catalog.common import (
    NAME_LIMIT,
    NEWEST_BY_KEY,
    audit,
    check_key,
    check_text,
    naive,
    read_page,
    require_row,
    utc,
)
from lotty.catalog.event_types import require_event_type
from lotty.errors import ConflictError, ValidationError
from lotty.model import Metric, MetricPatch, MetricSpec, Page
from lotty.store import Store, Tx

DEFINITION_FIELDS = ("event_type", "numerator", "denominator", "property", "percentile")
# Which definition fields each kind needs; every other definition field must be absent.
REQUIRED_BY_KIND: dict[str, tuple[str, ...]] = {
    "count": ("event_type",),
    "conversion": ("event_type",),
    "ratio": ("numerator", "denominator"),
    "sum": ("event_type", "property"),
    "average": ("event_type", "property"),
    "percentile": ("event_type", "property", "percentile"),
}


def metric_from_row(row: dict[str, Any]) -> Metric:
    fields = {
        name: row[name]
        for name in (
            "key",
            "name",
            "description",
            "kind",
            *DEFINITION_FIELDS,
            "higher_is_better",
            "archived",
            "builtin",
        )
    }
    return Metric(**fields, created_at=utc(row["created_at"]), updated_at=utc(row["updated_at"]))


def require_metric(tx: Tx, key: str) -> Metric:
    return metric_from_row(require_row(tx.fetch_one("catalog/metrics/get", key=key), "metric", key))


def check_definition(tx: Tx, kind: str, definition: dict[str, Any]) -> None:
    """The kind's required fields are present, the others absent, and the event types usable."""
    required = REQUIRED_BY_KIND[kind]
    for name in DEFINITION_FIELDS:
        if name in required and definition.get(name) is None:
            raise ValidationError(
                f"a {kind} metric needs {name}",
                field=name,
                details={"kind": kind, "required": list(required)},
            )
        if name not in required and definition.get(name) is not None:
            raise ValidationError(
                f"a {kind} metric does not take {name}",
                field=name,
                details={"kind": kind, "required": list(required)},
            )
    for name in ("event_type", "numerator", "denominator"):
        key = definition.get(name)
        if key is None:
            continue
        row = tx.fetch_one("catalog/event_types/get", key=key)
        if row is None:
            raise ValidationError(f"{name} {key!r} is not an event type", field=name)
        if row["archived"]:
            raise ValidationError(f"{name} {key!r} is archived", field=name)
    if definition.get("property") is not None:
        event_type = require_event_type(tx, definition["event_type"])
        spec = event_type.properties.get(definition["property"])
        if spec is None or spec.type != "number":
            raise ValidationError(
                f"property {definition['property']!r} must be a number property of event type "
                f"{event_type.key!r}",
                field="property",
                details={
                    "number_properties": sorted(
                        k for k, v in event_type.properties.items() if v.type == "number"
                    )
                },
            )
    percentile = definition.get("percentile")
    if percentile is not None and not 0 < percentile < 1:
        raise ValidationError("percentile must be strictly between 0 and 1 (e.g. 0.95)", field="percentile")


def create_metric(store: Store, actor: Principal, spec: MetricSpec, now: datetime) -> Metric:
    require_editor(actor, "create metrics")
    check_key(spec.key)
    name = check_text(
        spec.name if spec.name is not None else spec.key, "name", limit=NAME_LIMIT, required=True
    )
    description = check_text(spec.description, "description")
    definition = {field: getattr(spec, field) for field in DEFINITION_FIELDS}
    with store.transaction() as tx:
        if tx.fetch_one("catalog/metrics/get", key=spec.key) is not None:
            raise ConflictError(
                f"metric {spec.key!r} already exists", code="DUPLICATE_KEY", details={"key": spec.key}
            )
        check_definition(tx, spec.kind, definition)
        tx.execute(
            "catalog/metrics/insert",
            key=spec.key,
            name=name,
            description=description,
            kind=spec.kind,
            higher_is_better=spec.higher_is_better,
            now=naive(now),
            **definition,
        )
        metric = require_metric(tx, spec.key)
        audit(
            tx,
            actor=actor.user_id,
            entity="metric",
            entity_key=spec.key,
            action="create",
            now=now,
            after=metric,
        )
    return metric


def get_metric(store: Store, actor: Principal, key: str) -> Metric:
    require_reader(actor)
    with store.read() as tx:
        return require_metric(tx, key)


def list_metrics(
    store: Store, actor: Principal, limit: int | None, cursor: str | None, include_archived: bool = False
) -> Page:
    require_reader(actor)
    return read_page(
        store,
        "catalog/metrics/list_page",
        NEWEST_BY_KEY,
        limit,
        cursor,
        metric_from_row,
        include_archived=include_archived,
    )


def _active_uses(tx: Tx, key: str) -> list[dict[str, Any]]:
    return tx.fetch_all("catalog/metrics/active_uses", metric=key)


def update_metric(store: Store, actor: Principal, key: str, patch: MetricPatch, now: datetime) -> Metric:
    require_editor(actor, "change metrics")
    with store.transaction() as tx:
        before = require_metric(tx, key)
        changes = {
            f: getattr(patch, f) for f in patch.__struct_fields__ if getattr(patch, f) is not msgspec.UNSET
        }
        definition = {f: changes.get(f, getattr(before, f)) for f in DEFINITION_FIELDS}
        if any(definition[f] != getattr(before, f) for f in DEFINITION_FIELDS):
            if before.builtin:
                raise ConflictError(f"the built-in metric {key!r} cannot be redefined", code="BUILTIN")
            uses = _active_uses(tx, key)
            if uses:
                raise ConflictError(
                    f"metric {key!r} is used by running or paused experiments; its definition is frozen "
                    "until they complete",
                    code="METRIC_IN_USE",
                    details={"used_by": uses},
                )
            check_definition(tx, before.kind, definition)
        name = check_text(changes.get("name", before.name), "name", limit=NAME_LIMIT, required=True)
        description = check_text(changes.get("description", before.description), "description")
        tx.execute(
            "catalog/metrics/update",
            key=key,
            name=name,
            description=description,
            higher_is_better=changes.get("higher_is_better", before.higher_is_better),
            now=naive(now),
            **definition,
        )
        after = require_metric(tx, key)
        audit(
            tx,
            actor=actor.user_id,
            entity="metric",
            entity_key=key,
            action="update",
            now=now,
            before=before,
            after=after,
        )
    return after


def archive_metric(store: Store, actor: Principal, key: str, now: datetime) -> Metric:
    require_editor(actor, "archive metrics")
    with store.transaction() as tx:
        before = require_metric(tx, key)
        if before.builtin:
            raise ConflictError(f"the built-in metric {key!r} cannot be archived", code="BUILTIN")
        guarded_by = [u for u in _active_uses(tx, key) if u["used_as"] == "guardrail"]
        if guarded_by:
            raise ConflictError(
                f"metric {key!r} is used by a guardrail of a running or paused experiment",
                code="METRIC_IN_USE",
                details={"used_by": guarded_by},
            )
        if before.archived:
            return before
        tx.execute("catalog/metrics/archive", key=key, now=naive(now))
        after = require_metric(tx, key)
        audit(
            tx,
            actor=actor.user_id,
            entity="metric",
            entity_key=key,
            action="archive",
            now=now,
            before=before,
            after=after,
        )
    return after
