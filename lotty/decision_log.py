"""The asynchronous decision log (LOTTY_DECISION_LOG=async, the default): a buffer, and the
thread that writes it straight into the Parquet lake.

A decide call's decisions repeat a handful of outcomes (flag, reason, value, experiment, version,
variant), so each is interned once as a small integer code: per call the buffer keeps the decision
ids, the codes, and the subject and time once. `LakeDecisionLog` drains it into one Arrow batch
every few tens of milliseconds (the repeated columns built by index, `take`, from the outcome table
instead of converting six strings per row from Python objects), and once per flush interval, or
sooner when many rows wait, writes the batches as Parquet files into the lake's `decisions`
partitions. These rows never pass through DuckDB's `decisions_hot` (no insert, no later move to the
lake): they cost one conversion and one Parquet write, and appear in the `decisions` view within a
flush interval. A clean stop writes what is left; a crash loses at most that interval.
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

from lotty.store.facts import FACT_SCHEMAS

if TYPE_CHECKING:
    from lotty.store.lake import Lake

log = logging.getLogger("lotty.decision_log")
_SCHEMA = FACT_SCHEMAS["decisions"]
_encode_json = msgspec.json.Encoder().encode
MAX_OUTCOMES = 100_000  # the outcome table restarts past this (outcomes are few; this bounds misuse)
CONVERT_SECONDS = 0.05  # small conversions keep each GIL-holding step short
WRITE_ROWS = 100_000  # rows waiting that make a lake write come before the flush interval ends
MAX_WAITING_ROWS = 2_000_000  # past this, while the lake refuses writes, the oldest rows are dropped
Outcome = tuple[str, str, str, str | None, int | None, str | None]  # flag, reason, value JSON, ...


class DecisionLogBuffer:
    """Decisions waiting to be written to the lake; appended from any thread."""

    def __init__(self, full_rows: int = WRITE_ROWS) -> None:
        self._lock = threading.Lock()
        self.full_rows = full_rows
        self.full = threading.Event()  # set once `full_rows` rows wait (LakeDecisionLog clears it)
        self._codes_by_outcome: dict[Outcome, int] = {}
        self._outcomes: list[Outcome] = []
        self._reset()

    def _reset(self) -> None:
        self._ids: list[str] = []
        self._codes: list[int] = []
        self._subjects: list[str] = []
        self._stamps: list[int] = []
        self._counts: list[int] = []
        self._rows = 0

    def append(self, subject_id: str, stamp: int, decisions: Sequence[Any]) -> None:
        """One call's decisions (objects with flag, reason, value, experiment, experiment_version,
        variant and decision_id), made for `subject_id` at `stamp` (epoch microseconds)."""
        outcomes = [
            (d.flag, d.reason, _encode_json(d.value).decode(), d.experiment, d.experiment_version, d.variant)
            for d in decisions
        ]
        with self._lock:
            codes_by_outcome = self._codes_by_outcome
            for outcome in outcomes:
                code = codes_by_outcome.get(outcome)
                if code is None:
                    code = codes_by_outcome[outcome] = len(self._outcomes)
                    self._outcomes.append(outcome)
                self._codes.append(code)
            self._ids.extend(d.decision_id for d in decisions)
            self._subjects.append(subject_id)
            self._stamps.append(stamp)
            self._counts.append(len(decisions))
            self._rows += len(decisions)
            if self._rows >= self.full_rows and not self.full.is_set():
                self.full.set()

    def drain(self) -> pa.RecordBatch | None:
        """Everything appended so far as one batch in FACT_SCHEMAS["decisions"] order (None: nothing)."""
        with self._lock:
            if not self._ids:
                return None
            ids, codes, subjects, stamps, counts = (
                self._ids,
                self._codes,
                self._subjects,
                self._stamps,
                self._counts,
            )
            outcomes = self._outcomes
            self._reset()
            if len(outcomes) > MAX_OUTCOMES:
                self._codes_by_outcome, self._outcomes = {}, []
        call_of_row = pa.array(np.repeat(np.arange(len(counts)), counts))
        code_of_row = pa.array(codes, type=pa.int32())
        flag, reason, value, experiment, version, variant = (
            pa.array(column, type=_SCHEMA.field(name).type).take(code_of_row)
            for column, name in zip(
                zip(*outcomes, strict=True),
                ("flag", "reason", "value", "experiment", "experiment_version", "variant"),
                strict=True,
            )
        )
        columns = {
            "decision_id": pa.array(ids, type=pa.string()),
            "decided_at": pa.array(stamps, type=_SCHEMA.field("decided_at").type).take(call_of_row),
            "subject_id": pa.array(subjects, type=pa.string()).take(call_of_row),
            "flag": flag,
            "reason": reason,
            "value": value,
            "experiment": experiment,
            "experiment_version": version,
            "variant": variant,
        }
        return pa.RecordBatch.from_arrays([columns[name] for name in _SCHEMA.names], schema=_SCHEMA)


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
            self._convert()
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
            buffer.full.wait(CONVERT_SECONDS)
            if self._stop.is_set():
                return
            full = buffer.full.is_set()
            buffer.full.clear()
            with self._lock:
                self._convert()
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

    def _convert(self) -> None:
        batch = self._buffer.drain()
        if batch is not None:
            self._batches.append(batch)
            self._rows += batch.num_rows

    def _write(self) -> int:
        self._next_write = time.monotonic() + self._interval
        if not self._batches:
            return 0
        rows = pa.Table.from_batches(self._batches, _SCHEMA).combine_chunks()
        written = self._lake.append("decisions", rows)
        self._batches, self._rows = [], 0
        return written
