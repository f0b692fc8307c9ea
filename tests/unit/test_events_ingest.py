"""The ingest service with a writer whose writes the test completes: in-flight ids and failures."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, datetime

import pytest

from lotty.errors import ValidationError
from lotty.events.ingest import EventIngest, decode_batch
from lotty.store import Store
from lotty.tokens import issue_decision_id

SECRET = b"unit-secret-0123456789"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TOKEN = issue_decision_id(
    SECRET, flag="f", experiment="e", version=1, variant="red", subject_id="u-1", now_ms=0
)


class HeldWriter:
    """Keeps every submission pending until the test resolves it."""

    def __init__(self) -> None:
        self.submitted: list[tuple[dict, Future[None]]] = []

    def submit_columns(self, table: str, columns: list[list]) -> Future[None]:
        future: Future[None] = Future()
        self.submitted.append(({table: list(zip(*columns, strict=True))}, future))
        return future


@pytest.fixture
def service(tmp_path):
    store = Store(tmp_path / "lotty.duckdb")
    store.migrate()
    writer = HeldWriter()
    yield EventIngest(store, SECRET, lambda: NOW, writer), writer  # type: ignore[arg-type]
    store.close()


def exposure(event_id: str) -> dict:
    return {
        "event_id": event_id,
        "event_type": "exposure",
        "decision_id": TOKEN,
        "subject_id": "u-1",
        "timestamp": "2026-11-21T12:00:00Z",
    }


def test_one_submission_per_batch_and_ids_join_the_index_once_durable(service):
    ingest, writer = service
    result, waits = ingest.ingest([exposure("a"), exposure("b"), exposure("a")])
    assert (result.accepted, result.duplicates) == (2, 1)
    ((rows, written),) = writer.submitted
    assert [row[0] for row in rows["events"]] == ["a", "b"] and waits == [written]
    assert len(ingest.index) == 0 and ingest.in_flight() == 2
    written.set_result(None)
    assert len(ingest.index) == 2 and ingest.in_flight() == 0
    result, waits = ingest.ingest([exposure("b")])
    assert (result.accepted, result.duplicates, waits) == (0, 1, [])


def test_a_repeat_of_an_in_flight_id_waits_for_the_original_write(service):
    ingest, _ = service
    _, first_waits = ingest.ingest([exposure("a")])
    result, waits = ingest.ingest([exposure("a"), exposure("c")])
    assert (result.accepted, result.duplicates) == (1, 1)
    assert first_waits[0] in waits and len(waits) == 2


def test_when_the_write_fails_the_ids_are_forgotten_and_a_resend_is_accepted(service):
    ingest, _ = service
    _, (written,) = ingest.ingest([exposure("a")])
    _, repeat_waits = ingest.ingest([exposure("a")])
    written.set_exception(OSError("disk full"))
    assert repeat_waits == [written]  # the repeating request fails with the original
    assert len(ingest.index) == 0 and ingest.in_flight() == 0
    result, _ = ingest.ingest([exposure("a")])
    assert result.accepted == 1


def test_nothing_to_store_means_nothing_to_wait_for(service):
    ingest, writer = service
    result, waits = ingest.ingest([{"event_type": "exposure"}])
    assert (result.rejected, waits, writer.submitted) == (1, [], [])


def test_more_than_1000_events_are_refused_before_any_check(service):
    ingest, writer = service
    with pytest.raises(ValidationError) as raised:
        ingest.ingest([exposure(str(i)) for i in range(1001)])
    assert raised.value.code == "TOO_MANY_EVENTS" and writer.submitted == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"[]", "VALIDATION_ERROR"),
        (b'{"events": {}}', "VALIDATION_ERROR"),
        (b'{"events": [], "more": []}', "VALIDATION_ERROR"),
        (b'{"events": [', "INVALID_JSON"),
        (b'{"events": [' + b"{}," * 1000 + b"{}]}", "TOO_MANY_EVENTS"),
    ],
)
def test_decode_batch_refuses_a_malformed_batch_whole(body, code):
    with pytest.raises(ValidationError) as raised:
        decode_batch(body)
    assert raised.value.code == code


def test_decode_batch_keeps_each_event_as_plain_json():
    assert decode_batch(b'{"events": [{"a": 1}, "x", null]}') == [{"a": 1}, "x", None]
