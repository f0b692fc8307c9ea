"""Request timing, request ids and access logs: one plain ASGI middleware around every route.

Per request it reads the clock twice, wraps `send` to see the status, adds plain ints to the
instance's `RequestStats` (no lock: only the event loop thread runs this) and, when access logging
is on, writes one line: `{"event": "request", "route", "method", "status", "ms", "request_id"}`.
It runs inside Litestar's routing, so it knows the route template; a path no route matches (404)
or a method a route does not take (405) is answered by the router before it and is not counted.
"""

from __future__ import annotations

import itertools
import os
import re
from time import perf_counter

from litestar.config.cors import CORSConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from lotty.logs import REQUEST_ID, AccessLog
from lotty.metrics import RequestStats
from lotty.settings import Settings

access_log = AccessLog()
REQUEST_ID_HEADER = b"x-request-id"
# An id a proxy or client sent is kept when it is short and plain; otherwise Lotty makes one.
_GOOD_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


class RequestObserver:
    """A Litestar middleware factory (`middleware=[observer]`): Litestar calls it once per route."""

    def __init__(self, *, access_log_enabled: bool = True):
        self.access_log_enabled = access_log_enabled
        self.stats: RequestStats | None = None  # bound to the instance's metrics by the lifespan
        self._prefix = os.urandom(4).hex()
        self._sequence = itertools.count(1)

    def new_request_id(self) -> str:
        """Unique within the process and cheap: a random per-process prefix and a counter."""
        return f"{self._prefix}-{next(self._sequence):x}"

    def __call__(self, app: ASGIApp) -> ASGIApp:
        observe = self.observe

        async def observed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            await observe(app, scope, receive, send)

        return observed

    async def observe(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Run `app` on an http request, timed, counted, logged and answered with its request id."""
        started = perf_counter()
        request_id = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                if _GOOD_REQUEST_ID.fullmatch(value):
                    request_id = value.decode()
                break
        if request_id is None:
            request_id = self.new_request_id()
        header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500  # if the app fails without answering, the server answers 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await app(scope, receive, send_observed)
        finally:
            seconds = perf_counter() - started
            route = scope.get("path_template") or "unknown"
            method = scope["method"]  # type: ignore[typeddict-item]  # an http scope (checked by callers)
            stats = self.stats
            if stats is not None:
                stats.observe(route, method, status, seconds)
            if self.access_log_enabled and access_log.enabled():
                access_log.write(request_id, route, method, status, round(seconds * 1000, 3))
            REQUEST_ID.reset(token)


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS only for the configured origins (LOTTY_CORS_ORIGINS); none configured, no CORS headers."""
    origins = settings.cors_origin_list
    if not origins:
        return None
    # Browsers reading OFREP's ETag and the request id need them exposed; keys travel in Authorization,
    # so no cookies and no credentials mode.
    return CORSConfig(allow_origins=list(origins), expose_headers=["ETag", "X-Request-ID"])
