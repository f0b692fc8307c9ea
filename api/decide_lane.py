"""`POST /api/v1/decide` answered in front of Litestar, for `lotty serve`.

Litestar's application call, exception middleware, router, route handler and before-request hook
cost a decide request about as much CPU as the decision itself (docs/benchmarks.md). `DecideLane`
wraps the Litestar app and answers this one route with the same steps the Litestar route takes, in
the same order: the request observer (request id, metrics, access line), the declared body length,
the runtime caller's key, then the body, decided and answered by the same functions
(`api.routes.runtime.decide_answer`), with errors in the same shape (`api.errors`). Every other
request, and decide requests carrying an `Origin` when CORS is configured, go to Litestar, whose
decide route stays registered: the OpenAPI schema documents it and `create_app` alone serves it.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Litestar
from litestar.types import Receive, Scope, Send

from api.deps import provide_lotty, runtime_caller
from api.errors import INTERNAL_ERROR, TOO_DEEP, lotty_error_parts
from api.observability import RequestObserver
from api.routes.runtime import DECIDE_BODY_LIMIT, body_too_large, decide_answer, declared_over, send_json
from lotty.errors import LottyError

log = logging.getLogger("lotty.api")
DECIDE_PATH = "/api/v1/decide"
_encode = msgspec.json.Encoder().encode


class DecideLane:
    """An ASGI app: decide requests answered here, everything else passed to `app`."""

    def __init__(self, app: Litestar, observer: RequestObserver):
        self.app = app
        self._observer = observer
        self._cors = app.cors_config is not None

    def __getattr__(self, name: str) -> Any:  # `state`, `debug`, ...: the wrapped app's
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != DECIDE_PATH
            or scope["method"] != "POST"  # type: ignore[typeddict-item]  # an http scope (checked above)
            or (self._cors and any(name == b"origin" for name, _ in scope["headers"]))
        ):
            await self.app(scope, receive, send)
            return
        scope["path_template"] = DECIDE_PATH  # the route, as Litestar's router sets it
        await self._observer.observe(self._answer, scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            lotty = provide_lotty(self.app.state)
            declared = authorization = None
            for name, value in scope["headers"]:
                if name == b"content-length":
                    declared = value
                elif name == b"authorization":
                    authorization = value.decode("latin-1")
            if declared_over(declared, DECIDE_BODY_LIMIT):
                raise body_too_large(DECIDE_BODY_LIMIT)
            runtime_caller(lotty, authorization)
            answer = await decide_answer(lotty, receive)
        except LottyError as error:
            status, body, headers = lotty_error_parts(error)
            await _send_error(send, status, body, headers)
            return
        except RecursionError:
            await _send_error(send, 400, TOO_DEEP)
            return
        except Exception:
            log.exception("unhandled error")
            await _send_error(send, 500, INTERNAL_ERROR)
            return
        await answer(scope, receive, send)


async def _send_error(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    raw = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    await send_json(send, status, _encode(body), raw)


def with_decide_lane(app: Litestar) -> DecideLane:
    """`app` (from `create_app`) behind the decide lane."""
    return DecideLane(app, app.state.request_observer)
