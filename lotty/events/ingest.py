"""The events service: validate a batch, drop duplicates, store the rest durably (SPEC §4).

One call per request: the events are checked column-wise over the whole batch (`check_batch`,
pure, and equal to checking each on its own with `check_event`); the survivors are deduplicated
against the batch itself, against ids still being written by other requests, and against the index
of ids accepted in the last 7 days; the accepted rows go to the fact writer as one submission, and
the caller answers only after the returned futures resolve (durable).

An id enters the dedup index only once its rows are durable; until then it is "in flight", and a
request that repeats it waits for the original write too, so it never answers "duplicate" for an
event that was then lost. Thread-safe: the dedup state is read and changed under one lock.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from functools import partial
from itertools import compress, repeat
from typing import Any, cast

import msgspec
import polars as pl

from lotty.errors import JSON_DECODE_ERRORS, PayloadTooLargeError, ValidationError
from lotty.events.batch import TokenCache, WireEvent, check_batch
from lotty.events.dedup import DAY_US, DedupIndex, hash_ids
from lotty.events.schema import EventSchemas, load_event_schemas
from lotty.events.validation import MAX_BODY_BYTES, MAX_EVENTS, Columns, Rejection, epoch_micros
from lotty.store import Store, sql_text
from lotty.store.writer import FactWriter

log = logging.getLogger("lotty.events")

DEDUP_WINDOW_DAYS = 7


class IngestResult(msgspec.Struct, kw_only=True):
    """Counts for one batch and why each rejected event was rejected (by index in the batch)."""

    accepted: int
    duplicates: int
    rejected: int
    errors: list[Rejection]


class _Batch(msgspec.Struct, forbid_unknown_fields=True):
    events: list[Any]


class _PlainBatch(msgspec.Struct, forbid_unknown_fields=True):
    events: list[WireEvent]


_decode_batch = msgspec.json.Decoder(_Batch).decode
_decode_plain_batch = msgspec.json.Decoder(_PlainBatch).decode


def decode_batch(body: bytes) -> list[Any]:
    """The events of a request body `{"events": [...]}`, decoded by msgspec in one pass.

    The whole batch is refused (nothing stored) when the body is over 4 MiB (413), is not JSON or
    not that shape, or holds more than 1000 events (400). When every event has the plain shape
    they come back as `WireEvent` structs (for the column-wise checks); otherwise each event stays
    a plain JSON value, so that one bad event is rejected on its own.
    """
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(
            f"request body is larger than {MAX_BODY_BYTES} bytes", details={"limit": MAX_BODY_BYTES}
        )
    try:
        plain: list[Any] = _decode_plain_batch(body).events
    except JSON_DECODE_ERRORS:  # ValidationError included: some event has another shape
        pass
    else:
        check_batch_size(plain)
        return plain
    try:
        events = _decode_batch(body).events
    except msgspec.ValidationError as error:
        raise ValidationError(f'the body must be {{"events": [...]}}: {error}', field="events") from None
    except JSON_DECODE_ERRORS as error:
        raise ValidationError(f"request body is not valid JSON ({error})", code="INVALID_JSON") from None
    check_batch_size(events)
    return events


def check_batch_size(events: Sequence[Any]) -> None:
    if len(events) > MAX_EVENTS:
        raise ValidationError(
            f"at most {MAX_EVENTS} events per batch, got {len(events)}; nothing was stored",
            code="TOO_MANY_EVENTS",
            field="events",
            details={"limit": MAX_EVENTS},
        )


class EventIngest:
    def __init__(
        self,
        store: Store,
        secret: bytes,
        clock: Callable[[], datetime],
        writer: FactWriter,
        *,
        window_days: int = DEDUP_WINDOW_DAYS,
    ):
        self._store = store
        self._secret = secret
        self._clock = clock
        self._writer = writer
        self._lock = threading.RLock()
        self._in_flight: dict[int, Future[None]] = {}
        self._tokens = TokenCache()  # decision ids verified with this secret, across batches
        self.index = DedupIndex(window_days)
        self.schemas: EventSchemas = load_event_schemas(store)
        self._rebuild_index()

    def refresh(self) -> None:
        """Recompile the event types after a catalog change and swap them in whole."""
        self.schemas = load_event_schemas(self._store)

    def _rebuild_index(self) -> None:
        """Load the ids accepted in the window from the stored events (run after the writer replayed
        its journal, so every acknowledged event is in the table)."""
        today = epoch_micros(self._clock()) // DAY_US
        since = datetime(1970, 1, 1) + timedelta(days=today - self.index.window_days)
        hashes, days = [], []
        cursor = self._store.cursor()
        try:
            relation = cursor.sql(sql_text("events/recent_ids"), params={"since": since})
            for batch in relation.to_arrow_reader(1 << 20):
                frame = cast(pl.DataFrame, pl.from_arrow(batch))
                hashes.append(hash_ids(frame.get_column("event_id")))
                days.append(frame.get_column("received_at").dt.epoch("d"))
        finally:
            cursor.close()
        if hashes:
            self.index.load(pl.concat(hashes), pl.concat(days))
        self.index.expire(today)
        log.info(
            "dedup index holds %d event ids from the last %d days", len(self.index), self.index.window_days
        )

    def ingest(self, events: Sequence[Any]) -> tuple[IngestResult, list[Future[None]]]:
        """Check, dedup and submit one batch; answer the caller once every returned future is done.

        The futures are this batch's write and the writes of in-flight originals it repeats; if
        any fails, the caller must fail the request (the client retries, nothing is half-done).
        """
        check_batch_size(events)
        now_us = epoch_micros(self._clock())
        candidates, errors = check_batch(events, self.schemas, self._secret, now_us, self._tokens)
        ids = candidates[0]
        duplicates = 0
        waits: list[Future[None]] = []
        accepted: Columns = candidates
        accepted_hashes: list[int] = []
        written: Future[None] | None = None
        if ids:
            hashes = hash_ids(ids)
            accepted_hashes = hashes.to_list()
            with self._lock:
                known = self.index.contains(hashes)
                in_flight = self._in_flight
                usual = not any(known) and in_flight.keys().isdisjoint(accepted_hashes)
                if not (usual and len(set(ids)) == len(ids)):  # else all are new: the usual batch
                    new = self._new_ids(ids, accepted_hashes, known, waits)
                    duplicates = len(ids) - sum(new)
                    accepted = [list(compress(column, new)) for column in candidates]
                    accepted_hashes = list(compress(accepted_hashes, new))
                if accepted_hashes:
                    written = self._writer.submit_columns("events", accepted)
                    in_flight.update(dict.fromkeys(accepted_hashes, written))
            if written is not None:
                written.add_done_callback(partial(self._settle, accepted_hashes, now_us // DAY_US))
                waits.append(written)
        result = IngestResult(
            accepted=len(accepted_hashes), duplicates=duplicates, rejected=len(errors), errors=errors
        )
        return result, list({id(w): w for w in waits}.values())

    def _new_ids(
        self, ids: list[str], hashes: list[int], known: list[bool], waits: list[Future[None]]
    ) -> list[bool]:
        """For each candidate, whether it is new: not in the index, not an earlier id of the batch
        and not being written by another request (whose write then goes to `waits`)."""
        new: list[bool] = []
        seen: set[str] = set()
        in_flight = self._in_flight
        for event_id, h, old in zip(ids, hashes, known, strict=True):
            original = None if old or event_id in seen else in_flight.get(h)
            if original is not None:
                waits.append(original)
            new.append(not old and event_id not in seen and original is None)
            seen.add(event_id)
        return new

    def _settle(self, hashes: list[int], day: int, written: Future[None]) -> None:
        """Runs when a batch's write finished: durable ids join the index; failed ones are forgotten
        (the request failed, so the client will send them again)."""
        with self._lock:
            if written.exception() is None:
                self.index.add(hashes, day)
            in_flight = self._in_flight
            if list(map(in_flight.get, hashes)).count(written) == len(hashes):  # all still this write's
                deque(map(in_flight.pop, hashes, repeat(None)), maxlen=0)  # consumed in C, no Python loop
                return
            for h in hashes:
                if in_flight.get(h) is written:
                    del in_flight[h]

    def in_flight(self) -> int:
        return len(self._in_flight)
