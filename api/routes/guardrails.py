"""/api/v1/experiments/{key}/guardrails (SPEC §2.5)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from api.deps import Actor, Cursor, Limit, LottyDep
from lotty.catalog import guardrails
from lotty.model import Guardrail, GuardrailPatch, GuardrailSpec, Page


class GuardrailsController(Controller):
    path = "/api/v1/experiments/{key:str}/guardrails"
    tags = ["guardrails"]

    @post("/", status_code=201, summary="Add a guardrail rule", sync_to_thread=True)
    def create(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[GuardrailSpec]
    ) -> Guardrail:
        return guardrails.create_guardrail(lotty.store, actor, key, data, lotty.clock())

    @get("/", summary="The experiment's guardrail rules, newest first", sync_to_thread=True)
    def list(
        self,
        lotty: LottyDep,
        actor: Actor,
        key: FromPath[str],
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
    ) -> Page[Guardrail]:
        return guardrails.list_guardrails(lotty.store, actor, key, limit, cursor)

    @get("/{guardrail_id:str}", summary="One guardrail rule", sync_to_thread=True)
    def show(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], guardrail_id: FromPath[str]
    ) -> Guardrail:
        return guardrails.get_guardrail(lotty.store, actor, key, guardrail_id)

    @patch(
        "/{guardrail_id:str}", summary="Change a rule (not while the experiment runs)", sync_to_thread=True
    )
    def update(
        self,
        lotty: LottyDep,
        actor: Actor,
        key: FromPath[str],
        guardrail_id: FromPath[str],
        data: JSONBody[GuardrailPatch],
    ) -> Guardrail:
        return guardrails.update_guardrail(lotty.store, actor, key, guardrail_id, data, lotty.clock())

    @delete(
        "/{guardrail_id:str}",
        status_code=204,
        summary="Remove a rule (not while the experiment runs)",
        sync_to_thread=True,
    )
    def remove(self, lotty: LottyDep, actor: Actor, key: FromPath[str], guardrail_id: FromPath[str]) -> None:
        guardrails.delete_guardrail(lotty.store, actor, key, guardrail_id, lotty.clock())
