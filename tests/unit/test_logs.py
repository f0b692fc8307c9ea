"""JSON log lines: stable fields, request ids, exceptions, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import re
import sys
from collections.abc import Iterator

import pytest

from lotty.auth import new_api_key
from lotty.logs import QUIETED, REDACTED, REQUEST_ID, AccessLog, JsonFormatter, configure_logging

TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _record(message: str, *args: object, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("lotty.test", level, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def _line(formatter: JsonFormatter, record: logging.LogRecord) -> dict[str, object]:
    text = formatter.format(record)
    assert "\n" not in text
    return json.loads(text)  # type: ignore[no-any-return]


def test_a_line_has_the_stable_fields_first_and_extras_as_fields():
    line = _line(
        JsonFormatter(),
        _record("request", route="/api/v1/flags/{key}", method="GET", status=200, ms=1.25),
    )
    assert list(line)[:4] == ["ts", "level", "logger", "event"]
    assert TS.fullmatch(str(line["ts"]))
    assert line["level"] == "info" and line["logger"] == "lotty.test" and line["event"] == "request"
    assert (line["route"], line["method"], line["status"], line["ms"]) == (
        "/api/v1/flags/{key}",
        "GET",
        200,
        1.25,
    )
    assert "request_id" not in line


def test_the_message_is_formatted_with_its_arguments_and_odd_values_become_text():
    line = _line(JsonFormatter(), _record("replayed %d segment(s)", 3, path=re.compile("x")))
    assert line["event"] == "replayed 3 segment(s)"
    assert line["path"] == str(re.compile("x"))


def test_a_line_written_during_a_request_carries_its_id():
    token = REQUEST_ID.set("abc-7")
    try:
        line = _line(JsonFormatter(), _record("something happened"))
    finally:
        REQUEST_ID.reset(token)
    assert line["request_id"] == "abc-7"


def test_an_exception_becomes_one_error_field_on_the_same_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("lotty.api", logging.ERROR, __file__, 1, "unhandled error", None, None)
        record.exc_info = sys.exc_info()
    line = _line(JsonFormatter(), record)
    assert line["level"] == "error"
    assert "Traceback" in str(line["error"]) and "ValueError: boom" in str(line["error"])


def test_api_keys_bearer_tokens_secret_fields_and_configured_secrets_are_masked():
    key = new_api_key()
    formatter = JsonFormatter(secrets=["my-signing-secret-0123456789", "the-admin-key-0123456789"])
    cases = [
        _record("key %s was used", key),
        _record("header Authorization: Bearer %s", "opaque-token-value"),
        _record("auth", authorization="Bearer abc", api_key=key, lotty_secret="x", password="p"),
        _record("signing with my-signing-secret-0123456789 and the-admin-key-0123456789"),
        _record("nested", detail={"header": f"Bearer {key}"}),
    ]
    for record in cases:
        text = formatter.format(record)
        for secret in (key, "opaque-token-value", "my-signing-secret-0123456789", "the-admin-key-0123456789"):
            assert secret not in text, text
        assert REDACTED in text
        json.loads(text)  # still one valid JSON object
    assert "Bearer abc" not in formatter.format(cases[2])


def test_ordinary_text_is_left_alone():
    formatter = JsonFormatter(secrets=["my-signing-secret-0123456789"])
    line = _line(formatter, _record("flag lotty_checkout saved", flag="lotty_checkout"))
    assert line["event"] == "flag lotty_checkout saved" and line["flag"] == "lotty_checkout"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    loggers = {n: (list(logging.getLogger(n).handlers), logging.getLogger(n).level) for n in QUIETED}
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, (handlers, level) in loggers.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).setLevel(level)


def test_configure_logging_sends_lotty_and_uvicorn_lines_as_json(restore_logging):
    stream = io.StringIO()
    configure_logging("info", stream=stream, secrets=["the-admin-key-0123456789", None])
    logging.getLogger("lotty.writer").info("replayed %d journal segment(s)", 2)
    logging.getLogger("lotty.writer").debug("not at info")
    logging.getLogger("uvicorn.error").info("Started server process", extra={"color_message": "\x1b[1m"})
    logging.getLogger("uvicorn.error").error("Exception in ASGI application")
    logging.getLogger("apscheduler.executors.default").info('Job "flush_lake" executed successfully')
    logging.getLogger("lotty.cli").warning("admin key is the-admin-key-0123456789")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("lotty.writer", "info"),
        ("uvicorn.error", "error"),  # uvicorn's chatter below warning is dropped
        ("lotty.cli", "warning"),
    ]
    assert "color_message" not in lines[1]
    assert "the-admin-key-0123456789" not in stream.getvalue()


def test_log_level_debug_lets_debug_lines_through(restore_logging):
    stream = io.StringIO()
    configure_logging("debug", stream=stream)
    logging.getLogger("lotty.test").debug("details")
    assert json.loads(stream.getvalue())["level"] == "debug"


def test_access_lines_take_the_direct_path_with_the_formatters_fields(restore_logging):
    stream = io.StringIO()
    configure_logging("info", stream=stream, secrets=["the-admin-key-0123456789"])
    access = AccessLog()
    access.write("abc-7", "/api/v1/flags/{key}", "GET", 404, 1.25)
    access.write("the-admin-key-0123456789", "/health", "GET", 200, 0.5)  # a client sent it as its id
    direct = [json.loads(line) for line in stream.getvalue().splitlines()]
    record = _record("request", request_id="abc-7", route="/api/v1/flags/{key}", method="GET", status=404)
    record.__dict__.update(ms=1.25, name="lotty.access")
    formatted = _line(JsonFormatter(), record)
    assert list(direct[0]) == list(formatted) and TS.fullmatch(str(direct[0]["ts"]))
    assert {k: v for k, v in direct[0].items() if k != "ts"} == {
        k: v for k, v in formatted.items() if k != "ts"
    }
    assert direct[1]["request_id"] == REDACTED


def test_access_lines_go_through_logging_when_someone_else_listens(restore_logging):
    stream = io.StringIO()
    configure_logging("info", stream=stream)
    logger = logging.getLogger("lotty.access")
    keep = logging.handlers.BufferingHandler(capacity=100)
    logger.addHandler(keep)
    try:
        AccessLog().write("abc-8", "/health", "GET", 200, 0.5)
    finally:
        logger.removeHandler(keep)
    (record,) = keep.buffer
    assert (record.getMessage(), record.__dict__["route"], record.__dict__["status"]) == (
        "request",
        "/health",
        200,
    )
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]  # the stream still has it
    assert (line["event"], line["request_id"], line["ms"]) == ("request", "abc-8", 0.5)
