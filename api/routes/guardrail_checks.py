"""Guardrail triggers and on-demand checks (SPEC §2.5): /experiments/{key}/guardrail-triggers and
/guardrails/check (what `lotty guardrails check` calls while a server holds the database)."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import FromPath, JSONBody

from api.deps import Actor, Cursor, Limit, LottyDep
from lotty.guardrails import CheckInput, CheckResult, Trigger, list_triggers, request_check
from lotty.model import Page


@get(
    "/api/v1/experiments/{key:str}/guardrail-triggers",
    tags=["guardrails"],
    summary="Guardrail triggers of the experiment, newest first",
    sync_to_thread=True,
)
def guardrail_triggers(
    lotty: LottyDep,
    actor: Actor,
    key: FromPath[str],
    limit: Annotated[int | None, Limit] = None,
    cursor: Annotated[str | None, Cursor] = None,
) -> Page[Trigger]:
    return list_triggers(lotty.store, actor, key, limit, cursor)


@post(
    "/api/v1/guardrails/check",
    status_code=200,
    tags=["guardrails"],
    summary='Run one guardrail pass now (admin; body {} or {"experiment": key}); answers the actions taken',
    sync_to_thread=True,
)
def check_guardrails_now(lotty: LottyDep, actor: Actor, data: JSONBody[CheckInput]) -> CheckResult:
    return request_check(lotty, actor, data)
