"""Structured logs: one JSON object per line, through the standard `logging` module.

Every line has `ts` (RFC 3339, UTC, milliseconds), `level`, `logger` and `event` (the message);
a line written while a request is being served also has its `request_id`; an access line adds
`route` (the template, never the concrete path), `method`, `status` and `ms`. Anything passed in
`extra=` becomes a field of its own, and an exception becomes `error` (its traceback as text).
Access lines, one per request, take a direct path to the stream when nothing but Lotty's own
handler would see them (`AccessLog`): the same line, without building a `LogRecord`.

Secrets never reach a log: Lotty logs no header, body or key, and as a second line of defence the
formatter masks anything shaped like an API key (`lotty_` + 43 characters), the token after
`Bearer`, the values of fields named like a secret, and the literal values it is told about
(LOTTY_SECRET, LOTTY_ADMIN_KEY).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any, TextIO

import msgspec

# Set by the HTTP middleware for the duration of a request; every line logged meanwhile carries it.
REQUEST_ID: ContextVar[str | None] = ContextVar("lotty_request_id", default=None)

REDACTED = "[redacted]"
# The attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's coloured copy of the message
}
_SECRET_FIELD = re.compile(r"authorization|api_?key|secret|password|token|cookie", re.IGNORECASE)
_SECRET_TEXT = r"lotty_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])|(?<=[Bb]earer )[^\s\"',;]+"
_encode = msgspec.json.Encoder(enc_hook=str).encode
_encode_line = msgspec.json.Encoder().encode
_UNSEEN: Any = object()
QUIETED = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "litestar", "apscheduler")


class Timestamps:
    """RFC 3339 UTC timestamps with milliseconds; the date part is formatted once per second,
    which saves ~1 µs a line."""

    def __init__(self) -> None:
        self._second = -1
        self._second_text = ""

    def text(self, seconds: float) -> str:
        second = int(seconds)
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int(seconds * 1000) % 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON (see the module docstring for the fields)."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        literals = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._literals = tuple(literals)
        pattern = "|".join([*(re.escape(s) for s in literals), _SECRET_TEXT])
        self._secret = re.compile(pattern)
        self._timestamps = Timestamps()
        # extra field name → whether its value is masked; also the record attributes (None: skipped)
        self._fields: dict[str, bool | None] = dict.fromkeys(_RECORD_ATTRIBUTES)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self._timestamps.text(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        attributes = record.__dict__
        request_id = attributes.get("request_id") or REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        fields = self._fields
        for name, value in attributes.items():
            masked = fields.get(name, _UNSEEN)
            if masked is _UNSEEN:
                masked = fields[name] = None if name.startswith("_") else bool(_SECRET_FIELD.search(name))
            if masked is not None:
                line[name] = REDACTED if masked else value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return self.redact(_encode(line).decode())

    def redact(self, text: str) -> str:
        """`text` with every secret-shaped substring replaced (a cheap substring test comes first)."""
        if "otty_" in text or "earer" in text or any(s in text for s in self._literals):
            return self._secret.sub(REDACTED, text)
        return text


class JsonLinesHandler(logging.StreamHandler[TextIO]):
    """The handler `configure_logging` installs: JSON lines on a stream, and the direct path for
    access lines (`AccessLog`), which skips the `LogRecord` and the formatter's walk over it."""

    def write_line(self, text: str) -> None:
        """One already formatted line (redacted like any other), written and flushed now."""
        formatter = self.formatter
        if isinstance(formatter, JsonFormatter):
            text = formatter.redact(text)
        with self.lock:  # type: ignore[union-attr]  # StreamHandler always has one
            try:
                self.stream.write(text + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # the stream is gone; a log line is not worth a request
                pass


class AccessLine(msgspec.Struct):
    """An access line, in the order the formatter gives the same fields (SPEC §7)."""

    ts: str
    level: str
    logger: str
    event: str
    request_id: str
    route: str
    method: str
    status: int
    ms: float


ACCESS_LOGGER = "lotty.access"


class AccessLog:
    """One line per HTTP request on the `lotty.access` logger.

    When the line would reach only the `JsonLinesHandler` of `configure_logging` (the server's
    configuration: no handler, filter or level of anyone else's in the way), it is encoded straight
    from its fields by msgspec (about 2 µs, against 7 µs for a `LogRecord` and the formatter);
    otherwise (a test's capturing handler, an embedding service's own logging) it goes through
    `logging` as a record with the same fields, so whatever is configured sees what it expects.
    """

    def __init__(self) -> None:
        self.logger = logging.getLogger(ACCESS_LOGGER)
        self._timestamps = Timestamps()

    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def write(self, request_id: str, route: str, method: str, status: int, ms: float) -> None:
        handler = self._only_handler()
        if handler is None:
            # makeRecord + handle: what `info()` does, minus the caller lookup (a frame walk).
            extra = {"request_id": request_id, "route": route, "method": method, "status": status, "ms": ms}
            self.logger.handle(
                self.logger.makeRecord(
                    ACCESS_LOGGER, logging.INFO, __file__, 0, "request", (), None, extra=extra
                )
            )
            return
        line = AccessLine(
            self._timestamps.text(time.time()),
            "info",
            ACCESS_LOGGER,
            "request",
            request_id,
            route,
            method,
            status,
            ms,
        )
        handler.write_line(_encode_line(line).decode())

    def _only_handler(self) -> JsonLinesHandler | None:
        """The one handler a record of this logger would reach, when it is a plain JsonLinesHandler."""
        logger: logging.Logger | None = self.logger
        found = None
        while logger is not None:
            if logger.filters or logger.disabled:
                return None
            for handler in logger.handlers:
                if found is not None or type(handler) is not JsonLinesHandler or handler.filters:
                    return None
                if handler.level > logging.INFO:
                    return None
                found = handler
            if not logger.propagate:
                break
            logger = logger.parent
        return found


def configure_logging(
    level: str = "info", *, stream: TextIO | None = None, secrets: Iterable[str | None] = ()
) -> logging.Handler:
    """Route every logger (Lotty's, uvicorn's, Litestar's) through one JSON handler on `stream`.

    uvicorn's and APScheduler's loggers propagate to it (so they emit JSON too) and are kept to
    warnings and errors: Lotty logs its own start-up line and access lines, and APScheduler would
    otherwise write two lines every time the lake flush runs.
    """
    handler = JsonLinesHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(s for s in secrets if s))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIETED:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(max(logging.WARNING, root.level))
    return handler
