"""/health and /ready (SPEC §7)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State


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
