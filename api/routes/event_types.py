"""/api/v1/event-types (SPEC §2.2)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from api.deps import Actor, Cursor, Limit, LottyDep
from lotty.catalog import event_types
from lotty.model import EventType, EventTypePatch, EventTypeSpec, Page


class EventTypesController(Controller):
    path = "/api/v1/event-types"
    tags = ["event types"]

    @post("/", status_code=201, summary="Create an event type", sync_to_thread=True)
    def create(self, lotty: LottyDep, actor: Actor, data: JSONBody[EventTypeSpec]) -> EventType:
        return event_types.create_event_type(lotty.store, actor, data, lotty.clock())

    @get("/", summary="List event types, newest first", sync_to_thread=True)
    def list(
        self,
        lotty: LottyDep,
        actor: Actor,
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[EventType]:
        return event_types.list_event_types(lotty.store, actor, limit, cursor, include_archived)

    @get("/{key:str}", summary="One event type", sync_to_thread=True)
    def show(self, lotty: LottyDep, actor: Actor, key: FromPath[str]) -> EventType:
        return event_types.get_event_type(lotty.store, actor, key)

    @patch(
        "/{key:str}",
        summary="Change an event type's description, exposure rule or properties",
        sync_to_thread=True,
    )
    def update(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[EventTypePatch]
    ) -> EventType:
        return event_types.update_event_type(lotty.store, actor, key, data, lotty.clock())

    @post(
        "/{key:str}/archive",
        status_code=200,
        summary="Archive an event type (its events are rejected)",
        sync_to_thread=True,
    )
    def archive(self, lotty: LottyDep, actor: Actor, key: FromPath[str]) -> EventType:
        return event_types.archive_event_type(lotty.store, actor, key, lotty.clock())
