"""Every error leaves as `{"error": {"code", "message", "details"}}` (SPEC §1); mapped here only."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from api.deps import NotReadyError
from lotty.errors import (
    ConflictError,
    ForbiddenError,
    LottyError,
    NotFoundError,
    PayloadTooLargeError,
    UnauthorizedError,
)

log = logging.getLogger("lotty.api")
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")

STATUS_BY_ERROR: tuple[tuple[type[LottyError], int], ...] = (
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (PayloadTooLargeError, 413),
    (NotReadyError, 503),  # a request before the lifespan has opened the data dir
)
CODE_BY_STATUS = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def lotty_error_parts(exc: LottyError) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    """Status, body and extra headers of a LottyError's answer (also used by api/decide_lane.py)."""
    status = next((s for cls, s in STATUS_BY_ERROR if isinstance(exc, cls)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return status, error_body(exc.code, exc.message, exc.details), headers


def lotty_error(_: Request[Any, Any, Any], exc: LottyError) -> Response[Any]:
    status, body, headers = lotty_error_parts(exc)
    return Response(body, status_code=status, headers=headers)


def _validation_message(exc: ValidationException) -> tuple[str, dict[str, Any]]:
    """Litestar reports msgspec's decode errors in `extra` as {message, key, source}; name the field."""
    extra = exc.extra
    problems = extra if isinstance(extra, list) else [extra] if extra else []
    messages = []
    fields = []
    for problem in problems:
        if not isinstance(problem, dict):
            continue
        message = str(problem.get("message", "")) or "invalid value"
        key, source = problem.get("key"), problem.get("source")
        if source and source != "body" and key:
            messages.append(f"{source} parameter {key!r}: {message}")
            fields.append(key)
        elif key and key != "data":  # "data" is the whole body
            messages.append(f"{key}: {message}")
            fields.append(key)
        else:
            named = _NAMED_FIELD.search(message)  # "Object missing required field `kind`"
            if named:
                fields.append(named.group(1))
            messages.append(message)
    if not messages:
        messages = [exc.detail or "invalid request"]
    details: dict[str, Any] = {"problems": messages}
    if fields:
        details["field"] = fields[0]
    return "; ".join(messages), details


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        message, details = _validation_message(exc)
        return Response(error_body("VALIDATION_ERROR", message, details), status_code=400)
    if status >= 500:
        log.error("server error", exc_info=exc)
    message = exc.detail or CODE_BY_STATUS.get(status, "error").replace("_", " ").lower()
    code = CODE_BY_STATUS.get(status, f"HTTP_{status}")
    if status == 400 and message.startswith("JSON is malformed"):
        code, message = "INVALID_JSON", f"request body is not valid JSON ({message})"
    headers = dict(exc.headers or {})
    return Response(error_body(code, message), status_code=status, headers=headers or None)


TOO_DEEP = error_body("INVALID_JSON", "request body is nested too deeply")
INTERNAL_ERROR = error_body("INTERNAL_ERROR", "internal server error")


def too_deep(_: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """msgspec gives up on absurdly nested JSON with a RecursionError: that is the client's input."""
    return Response(TOO_DEEP, status_code=400)


def unexpected_error(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", exc_info=exc)
    return Response(INTERNAL_ERROR, status_code=500)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    LottyError: lotty_error,
    HTTPException: http_error,
    RecursionError: too_deep,
    Exception: unexpected_error,
}
