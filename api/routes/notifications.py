"""/api/v1/notifications/channels, /rules and /deliveries (SPEC §6)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from api.deps import Actor, Cursor, Limit, LottyDep
from lotty.model import Page
from lotty.notifications import catalog
from lotty.notifications.delivery import send_test
from lotty.notifications.model import (
    Channel,
    ChannelPatch,
    ChannelSpec,
    ChannelTestResult,
    Delivery,
    DeliveryStatus,
    NotificationEvent,
    Rule,
    RulePatch,
    RuleSpec,
)


class ChannelsController(Controller):
    path = "/api/v1/notifications/channels"
    tags = ["notifications"]

    @post(
        "/",
        status_code=201,
        summary="Create a channel (admin; secrets are masked in answers)",
        sync_to_thread=True,
    )
    def create(self, lotty: LottyDep, actor: Actor, data: JSONBody[ChannelSpec]) -> Channel:
        return catalog.create_channel(lotty.store, actor, data, lotty.clock())

    @get("/", summary="Channels, newest first", sync_to_thread=True)
    def list(
        self,
        lotty: LottyDep,
        actor: Actor,
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
    ) -> Page[Channel]:
        return catalog.list_channels(lotty.store, actor, limit, cursor)

    @get("/{key:str}", summary="One channel", sync_to_thread=True)
    def show(self, lotty: LottyDep, actor: Actor, key: FromPath[str]) -> Channel:
        return catalog.get_channel(lotty.store, actor, key)

    @patch("/{key:str}", summary="Replace a channel's config (admin)", sync_to_thread=True)
    def update(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[ChannelPatch]
    ) -> Channel:
        return catalog.update_channel(lotty.store, actor, key, data, lotty.clock())

    @delete(
        "/{key:str}", status_code=204, summary="Delete a channel no rule uses (admin)", sync_to_thread=True
    )
    def remove(self, lotty: LottyDep, actor: Actor, key: FromPath[str]) -> None:
        catalog.delete_channel(lotty.store, actor, key, lotty.clock())

    @post(
        "/{key:str}/test",
        status_code=200,
        summary="Send a test message through the channel now (admin); answers whether it got through",
        sync_to_thread=True,
    )
    def test(self, lotty: LottyDep, actor: Actor, key: FromPath[str]) -> ChannelTestResult:
        return send_test(lotty.store, actor, key, lotty.clock())


class RulesController(Controller):
    path = "/api/v1/notifications/rules"
    tags = ["notifications"]

    @post("/", status_code=201, summary="Create a rule (admin, experimenter)", sync_to_thread=True)
    def create(self, lotty: LottyDep, actor: Actor, data: JSONBody[RuleSpec]) -> Rule:
        return catalog.create_rule(lotty.store, actor, data, lotty.clock())

    @get("/", summary="Rules, newest first", sync_to_thread=True)
    def list(
        self,
        lotty: LottyDep,
        actor: Actor,
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
    ) -> Page[Rule]:
        return catalog.list_rules(lotty.store, actor, limit, cursor)

    @get("/{rule_id:str}", summary="One rule", sync_to_thread=True)
    def show(self, lotty: LottyDep, actor: Actor, rule_id: FromPath[str]) -> Rule:
        return catalog.get_rule(lotty.store, actor, rule_id)

    @patch("/{rule_id:str}", summary="Change a rule (admin, experimenter)", sync_to_thread=True)
    def update(
        self, lotty: LottyDep, actor: Actor, rule_id: FromPath[str], data: JSONBody[RulePatch]
    ) -> Rule:
        return catalog.update_rule(lotty.store, actor, rule_id, data, lotty.clock())

    @delete(
        "/{rule_id:str}", status_code=204, summary="Delete a rule (its deliveries stay)", sync_to_thread=True
    )
    def remove(self, lotty: LottyDep, actor: Actor, rule_id: FromPath[str]) -> None:
        catalog.delete_rule(lotty.store, actor, rule_id, lotty.clock())


@get(
    "/api/v1/notifications/deliveries",
    tags=["notifications"],
    summary="The delivery log, newest first: status pending, sent, failed or suppressed, with the last error",
    sync_to_thread=True,
)
def list_deliveries(
    lotty: LottyDep,
    actor: Actor,
    limit: Annotated[int | None, Limit] = None,
    cursor: Annotated[str | None, Cursor] = None,
    status: FromQuery[DeliveryStatus | None] = None,
    event: FromQuery[NotificationEvent | None] = None,
    channel: FromQuery[str | None] = None,
    rule: FromQuery[str | None] = None,
    experiment: FromQuery[str | None] = None,
) -> Page[Delivery]:
    return catalog.list_deliveries(
        lotty.store,
        actor,
        limit,
        cursor,
        status=status,
        event=event,
        channel=channel,
        rule=rule,
        experiment=experiment,
    )
