"""Domain exceptions with stable codes; `api/errors.py` maps them to HTTP in one place."""

from __future__ import annotations

from typing import Any

import msgspec


class LottyError(Exception):
    """Base of every error Lotty reports to a caller.

    `code` is the stable UPPER_SNAKE identifier clients match on; `details` carries
    machine-readable context (the offending field, a column, allowed values).
    """

    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class ValidationError(LottyError):
    """Input is malformed or breaks a rule of the catalog (HTTP 400)."""

    code = "VALIDATION_ERROR"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ):
        merged = dict(details or {})
        if field is not None:
            merged.setdefault("field", field)
        super().__init__(message, code=code, details=merged)


class UnauthorizedError(LottyError):
    """No key, an unknown key or a revoked key (HTTP 401)."""

    code = "UNAUTHORIZED"


class ForbiddenError(LottyError):
    """The caller's role or ownership does not allow the action (HTTP 403)."""

    code = "FORBIDDEN"


class NotFoundError(LottyError):
    """An id or key that does not exist (HTTP 404)."""

    code = "NOT_FOUND"


class ConflictError(LottyError):
    """The action conflicts with current state: a duplicate key, a forbidden transition (HTTP 409)."""

    code = "CONFLICT"


class PayloadTooLargeError(LottyError):
    """A request body above the route's limit (HTTP 413)."""

    code = "PAYLOAD_TOO_LARGE"


# What decoding untrusted JSON with msgspec can raise besides our own errors: DecodeError (with its
# ValidationError) for bad syntax or shape, and UnicodeDecodeError for a string that is not UTF-8,
# which msgspec does not wrap.
JSON_DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError)
