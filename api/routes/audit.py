"""/api/v1/audit (SPEC §2.6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import get
from litestar.params import FromQuery, QueryParameter

from api.deps import Actor, Cursor, Limit, LottyDep
from lotty.catalog import audit_log
from lotty.model import AuditEntry, Page


@get("/api/v1/audit", tags=["audit"], summary="The audit log, newest first, filterable", sync_to_thread=True)
def list_audit(
    lotty: LottyDep,
    actor: Actor,
    limit: Annotated[int | None, Limit] = None,
    cursor: Annotated[str | None, Cursor] = None,
    entity: FromQuery[str | None] = None,
    entity_key: FromQuery[str | None] = None,
    actor_id: Annotated[str | None, QueryParameter(name="actor")] = None,
    action: FromQuery[str | None] = None,
    from_ts: Annotated[datetime | None, QueryParameter(name="from")] = None,
    to_ts: Annotated[datetime | None, QueryParameter(name="to")] = None,
) -> Page[AuditEntry]:
    return audit_log.list_audit(
        lotty.store,
        actor,
        limit,
        cursor,
        entity=entity,
        entity_key=entity_key,
        actor_id=actor_id,
        action=action,
        from_ts=from_ts,
        to_ts=to_ts,
    )
