"""The asynchronous decision log (LOTTY_DECISION_LOG=async, the default): a buffer, and the
thread that writes it straight into the Parquet lake.

A decide call's decisions repeat a handful of outcomes (flag, reason, value, experiment, version,
variant), so each is interned once as a small integer code: per call the buffer keeps the decision
ids, the codes, and the subject and time once. Every `BATCH_ROWS` rows the appending call itself
converts them into one Arrow batch (the repeated columns built by index, `take`, from the outcome
table instead of converting six strings per row from Python objects). `LakeDecisionLog` writes the
batches as Parquet files into the lake's `decisions` partitions once per flush interval, or sooner
when many rows wait, a small row group at a time (`PACING`). These rows never pass through
DuckDB's `decisions_hot` (no insert, no later move to the lake): they cost one conversion and one
Parquet write, and appear in the `decisions` view within a flush interval. A clean stop writes what
is left; a crash loses at most that interval.

Why the work is cut this way: on a core that also runs the serving event loop, a background thread
stalls the loop for as long as it keeps the core or the GIL. Converting on the writer thread cost
each conversion a dozen GIL hand-offs (each Arrow call releases it, and each re-take waits out
the loop's switch interval), about 3 ms of stall per conversion; converting on the appending thread
costs that one call well under a millisecond every thousand rows, with no hand-off. A Parquet write
keeps the core for whole scheduler ticks unless it pauses, hence the paced row groups.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np
import pyarrow as pa

from lotty.reasons import Decision
from lotty.store.facts import FACT_SCHEMAS
from lotty.store.lake import Pacing

if TYPE_CHECKING:
    from lotty.store.lake import Lake

log = logging.getLogger("lotty.decision_log")
_SCHEMA = FACT_SCHEMAS["decisions"]
_encode_json = msgspec.json.Encoder().encode
MAX_OUTCOMES = 100_000  # the outcome tables restart past this many answer objects (a bound on misuse)
BATCH_ROWS = 1_000  # rows the appending call converts at once (well under a millisecond)
WRITE_ROWS = 100_000  # rows waiting that make a lake write come before the flush interval ends

# A row group of 1,000 decisions encodes in under a millisecond; the pause after it gives the core
# back to the event loop, so a write never stalls decide calls for a whole scheduler tick.
PACING = Pacing(row_group_rows=1_000, pause_seconds=0.001)
MAX_WAITING_ROWS = 2_000_000  # past this, while the lake refuses writes, the oldest rows are dropped
Outcome = tuple[str, str, str, str | None, int | None, str | None]  # flag, reason, value JSON, ...


def value_text(value: Any) -> str:
    """A decision's value as the `decisions` table stores it (JSON text), in either log mode."""
    return _encode_json(value).decode()


class DecisionLogBuffer:
    """Decisions waiting to be written to the lake; appended from any thread."""

    def __init__(self, full_rows: int = WRITE_ROWS, batch_rows: int = BATCH_ROWS) -> None:
        self._lock = threading.Lock()
        self.full_rows = full_rows
        self.batch_rows = batch_rows
        self.full = threading.Event()  # set once `full_rows` rows wait (LakeDecisionLog clears it)
        self._codes_by_outcome: dict[Outcome, int] = {}
        self._outcomes: list[Outcome] = []
        # The snapshot prebuilds its answers, so most calls pass the same Decision objects: their
        # codes are kept by identity, each entry holding its object so that no id is ever reused.
        self._codes_by_identity: dict[int, tuple[Decision, int]] = {}
        self._batches: list[pa.RecordBatch] = []  # converted, not yet drained
        self._batched_rows = 0
        self._reset()

    def _reset(self) -> None:
        self._ids: list[str] = []
        self._codes: list[int] = []
        self._subjects: list[str] = []
        self._stamps: list[int] = []
        self._counts: list[int] = []
        self._rows = 0

    def append(
        self, subject_id: str, stamp: int, decisions: Sequence[Decision], decision_ids: Sequence[str]
    ) -> None:
        """One call's decisions and their ids, made for `subject_id` at `stamp` (epoch
        microseconds)."""
        with self._lock:
            codes_by_identity = self._codes_by_identity
            codes = self._codes
            for decision in decisions:
                known = codes_by_identity.get(id(decision))
                if known is None:
                    known = codes_by_identity[id(decision)] = (decision, self._code_of(decision))
                codes.append(known[1])
            self._ids.extend(decision_ids)
            self._subjects.append(subject_id)
            self._stamps.append(stamp)
            self._counts.append(len(decisions))
            self._rows += len(decisions)
            if self._rows >= self.batch_rows:
                self._convert()
            if self._rows + self._batched_rows >= self.full_rows and not self.full.is_set():
                self.full.set()

    def _code_of(self, decision: Decision) -> int:
        flag, value, reason, experiment, version, variant = decision
        outcome = (flag, reason, value_text(value), experiment, version, variant)
        code = self._codes_by_outcome.get(outcome)
        if code is None:
            code = self._codes_by_outcome[outcome] = len(self._outcomes)
            self._outcomes.append(outcome)
        return code

    def drain(self) -> list[pa.RecordBatch]:
        """Everything appended so far, as batches in FACT_SCHEMAS["decisions"] order (oldest first)."""
        with self._lock:
            if self._rows:
                self._convert()
            batches, self._batches, self._batched_rows = self._batches, [], 0
        return batches

    def _convert(self) -> None:
        """The rows appended since the last batch become one more batch (the lock is held)."""
        call_of_row = pa.array(np.repeat(np.arange(len(self._counts)), self._counts))
        code_of_row = pa.array(self._codes, type=pa.int32())

        def by_row(values: Sequence[Any], name: str, row_index: pa.Array) -> pa.Array:
            return pa.array(values, type=_SCHEMA.field(name).type).take(row_index)

        outcome_columns = ("flag", "reason", "value", "experiment", "experiment_version", "variant")
        columns = {
            name: by_row(values, name, code_of_row)
            for values, name in zip(zip(*self._outcomes, strict=True), outcome_columns, strict=True)
        }
        columns["decision_id"] = pa.array(self._ids, type=pa.string())
        columns["decided_at"] = by_row(self._stamps, "decided_at", call_of_row)
        columns["subject_id"] = by_row(self._subjects, "subject_id", call_of_row)
        self._batches.append(
            pa.RecordBatch.from_arrays([columns[name] for name in _SCHEMA.names], schema=_SCHEMA)
        )
        self._batched_rows += self._rows
        self._reset()
        if len(self._codes_by_identity) > MAX_OUTCOMES:  # (new objects each call: unknown flags)
            self._codes_by_outcome, self._outcomes, self._codes_by_identity = {}, [], {}


class LakeDecisionLog:
    """Drains a `DecisionLogBuffer` on a thread of its own and writes it into the lake."""

    def __init__(self, buffer: DecisionLogBuffer, lake: Lake, interval_seconds: float):
        self._buffer = buffer
        self._lake = lake
        self._interval = interval_seconds
        self._lock = threading.Lock()  # one drain-and-write at a time (the thread, flush, close)
        self._batches: list[pa.RecordBatch] = []  # converted, not yet written
        self._rows = 0
        self._stop = threading.Event()
        self._retry_at = 0.0  # after a failed write, no retry before this (monotonic seconds)
        self.dropped_rows = 0  # rows given up while the lake refused writes (logged as they go)
        # Any write (the lake flush job's included) restarts the interval, so where the job runs
        # (lotty serve) the thread writes only when rows pile up, and never two files per interval.
        self._next_write = time.monotonic() + interval_seconds
        self._thread = threading.Thread(target=self._run, name="lotty-decision-log", daemon=True)
        self._thread.start()

    def flush(self) -> int:
        """Write everything appended so far into the lake now; returns the rows written."""
        with self._lock:
            self._take_batches()
            return self._write()

    def close(self) -> None:
        """Stop the thread and write what is left (a clean stop loses no decision)."""
        self._stop.set()
        self._buffer.full.set()
        self._thread.join(timeout=60)
        self.flush()

    def _run(self) -> None:
        buffer = self._buffer
        while not self._stop.is_set():
            # Sleep until a write is due (or a retry is allowed), unless rows pile up sooner.
            wake_at = max(self._next_write, self._retry_at)
            buffer.full.wait(max(0.0, wake_at - time.monotonic()))
            if self._stop.is_set():
                return
            full = buffer.full.is_set()
            buffer.full.clear()
            with self._lock:
                self._take_batches()
                self._drop_oldest_past_bound()  # only while writes fail: one is due far sooner
                now = time.monotonic()
                due = full or self._rows >= buffer.full_rows or now >= self._next_write
                if due and now >= self._retry_at:
                    try:
                        self._write()
                    except Exception:  # the batches stay; retried after an interval, not at once
                        log.exception("writing %d decision(s) to the lake failed", self._rows)
                        self._retry_at = time.monotonic() + self._interval

    def _drop_oldest_past_bound(self) -> None:
        """Bound what waits while writes fail (a full disk must not grow the server without end):
        past MAX_WAITING_ROWS the oldest batches go; async decisions are best effort, as a crash
        would lose them too."""
        dropped = 0
        while self._rows > MAX_WAITING_ROWS and len(self._batches) > 1:
            oldest = self._batches.pop(0)
            self._rows -= oldest.num_rows
            dropped += oldest.num_rows
        if dropped:
            self.dropped_rows += dropped
            log.error("dropped %d decision(s) the lake would not take", dropped)

    def _take_batches(self) -> None:
        for batch in self._buffer.drain():
            self._batches.append(batch)
            self._rows += batch.num_rows

    def _write(self) -> int:
        self._next_write = time.monotonic() + self._interval
        if not self._batches:
            return 0
        rows = pa.Table.from_batches(self._batches, _SCHEMA)
        written = self._lake.append("decisions", rows, PACING)
        self._batches, self._rows = [], 0
        return written
