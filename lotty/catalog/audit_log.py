"""Reading the audit log (SPEC §2.6) and one experiment's log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lotty.auth import Principal, require_reader
from lotty.catalog.common import NEWEST_BY_SEQUENCE, from_json, naive, read_page, utc
from lotty.catalog.experiments import require_experiment
from lotty.errors import ValidationError
from lotty.model import AuditEntry, Page
from lotty.store import Store


def _entry(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        **{**row, "at": utc(row["at"]), "before": from_json(row["before"]), "after": from_json(row["after"])}
    )


def list_audit(
    store: Store,
    actor: Principal,
    limit: int | None,
    cursor: str | None,
    *,
    entity: str | None = None,
    entity_key: str | None = None,
    actor_id: str | None = None,
    action: str | None = None,
    from_ts: datetime | None = None,
    to_ts: datetime | None = None,
) -> Page:
    require_reader(actor)
    # compared as naive UTC, like the store: one bound may carry an offset and the other not
    if from_ts is not None and to_ts is not None and naive(from_ts) >= naive(to_ts):
        raise ValidationError("from must be before to", field="from")
    return read_page(
        store,
        "catalog/audit/list_page",
        NEWEST_BY_SEQUENCE,
        limit,
        cursor,
        _entry,
        entity=entity,
        entity_key=entity_key,
        actor=actor_id,
        action=action,
        from_ts=from_ts and naive(from_ts),
        to_ts=to_ts and naive(to_ts),
    )


def experiment_log(store: Store, actor: Principal, key: str, limit: int | None, cursor: str | None) -> Page:
    require_reader(actor)
    return read_page(
        store,
        "catalog/audit/experiment_log_page",
        NEWEST_BY_SEQUENCE,
        limit,
        cursor,
        _entry,
        check=lambda tx: require_experiment(tx, key),
        key=key,
    )
