"""/health, /ready and /metrics (SPEC §7): operations endpoints, answered without an API key."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State

from api.deps import provide_lotty


@get("/health", tags=["operations"], summary="200 while the process lives", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/ready",
    tags=["operations"],
    summary="200 once the catalog is loaded and the warehouse is writable",
    sync_to_thread=True,
)
def ready(state: State) -> Response[dict[str, Any]]:
    lotty = state.get("lotty")
    checks = {
        "catalog_loaded": lotty is not None,
        "warehouse_writable": lotty is not None and lotty.store.is_writable(),
    }
    failing = [name for name, ok in checks.items() if not ok]
    body: dict[str, Any] = {"status": "ready" if not failing else "not_ready", "checks": checks}
    if failing:
        body["failing"] = failing
    return Response(body, status_code=503 if failing else 200)


@get(
    "/metrics",
    tags=["operations"],
    summary="Prometheus metrics: requests, decisions, events, guardrails, the write queue",
    media_type="text/plain",
    sync_to_thread=False,
)
def prometheus_metrics(state: State, request: Request[Any, Any, Any]) -> Response[bytes]:
    # On the event loop thread, like the middleware that counts requests: no locks needed.
    body, content_type = provide_lotty(state).metrics.exposition(request.headers.get("accept"))
    return Response(body, headers={"content-type": content_type})
