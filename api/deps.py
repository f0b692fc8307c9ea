"""Dependencies every route shares: the `Lotty` instance and the calling principal."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from lotty.auth import Principal
from lotty.errors import LottyError
from lotty.instance import Lotty


class NotReadyError(LottyError):
    code = "NOT_READY"


def provide_lotty(state: State) -> Lotty:
    lotty = state.get("lotty")
    if lotty is None:
        raise NotReadyError("the server is starting; try again shortly")
    return lotty


def provide_actor(request: Request[Any, Any, Any], lotty: NamedDependency[Lotty]) -> Principal:
    return lotty.keyring.authenticate(request.headers.get("authorization"))


ANONYMOUS = Principal(user_id="anonymous", role="sdk")


def provide_runtime_caller(request: Request[Any, Any, Any], lotty: NamedDependency[Lotty]) -> Principal:
    return runtime_caller(lotty, request.headers.get("authorization"))


def runtime_caller(lotty: Lotty, authorization: str | None) -> Principal:
    """Any valid key may call the runtime endpoints; none is needed when LOTTY_RUNTIME_AUTH=off."""
    if not lotty.settings.runtime_auth:
        return ANONYMOUS
    return lotty.keyring.authenticate(authorization)


DEPENDENCIES = {
    "lotty": Provide(provide_lotty, sync_to_thread=False),
    "actor": Provide(provide_actor, sync_to_thread=False),
    "caller": Provide(provide_runtime_caller, sync_to_thread=False),
}

LottyDep = NamedDependency[Lotty]
Actor = NamedDependency[Principal]
RuntimeCaller = NamedDependency[Principal]
Limit = QueryParameter(
    name="limit", ge=1, le=500, required=False, description="Page size (default 50; max 500)"
)
Cursor = QueryParameter(name="cursor", required=False, description="Opaque cursor from a previous page")
