"""Group commit for fact rows: many requests' rows, one fsync, durable before anyone returns.

Callers `submit` rows (or `submit_columns`, the same rows column by column) and wait on the
returned future. One writer thread drains the queue,
appends the batch to the journal as one frame and fdatasyncs it (the acknowledgement), then
keeps the rows in memory and applies them to DuckDB in large transactions: when enough rows
have gathered, when they are old enough, on `flush()` and on `close()`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa

from lotty.store.database import Store
from lotty.store.facts import FACT_SCHEMAS
from lotty.store.journal import Journal
from lotty.store.sqlfiles import sql_text

log = logging.getLogger("lotty.writer")

Rows = dict[str, Sequence[Sequence[Any]]]  # table → rows as tuples in FACT_SCHEMAS column order
Columns = list[list[Any]]  # one table's rows as one list per column, in FACT_SCHEMAS order
COLUMNS_KEY = "{}/columns"
"""A journal frame maps each table to its rows, or `COLUMNS_KEY.format(table)` to its columns."""
_STOP = object()
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(dict[str, list[list[Any]]]).decode


def _record_batch(table: str, rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
    return _columns_batch(table, list(zip(*rows, strict=True)))


def _columns_batch(table: str, columns: Sequence[Sequence[Any]]) -> pa.RecordBatch:
    schema = FACT_SCHEMAS[table]
    return pa.RecordBatch.from_arrays(
        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)], schema=schema
    )


_COLUMNS_SUFFIX = COLUMNS_KEY.format("")


def _buffer_frame(frame: dict[str, list[Any]], buffer: dict[str, list[pa.RecordBatch]]) -> int:
    """Add a journal frame's rows to `buffer` as Arrow record batches; returns how many rows."""
    count = 0
    for key, data in frame.items():
        if key.endswith(_COLUMNS_SUFFIX):
            table = key.removesuffix(_COLUMNS_SUFFIX)
            rows = len(data[0]) if data else 0
            batch = _columns_batch(table, data) if rows else None
        else:
            table, rows = key, len(data)
            batch = _record_batch(table, data) if rows else None
        if batch is not None:
            buffer.setdefault(table, []).append(batch)
            count += rows
    return count


class _Flush:
    def __init__(self) -> None:
        self.done: Future[None] = Future()


class FactWriter:
    """One thread owning the journal and a DuckDB cursor."""

    def __init__(
        self, store: Store, journal_dir: Path, *, apply_rows: int = 20_000, apply_seconds: float = 0.5
    ):
        self._store = store
        self._cursor = store.cursor()
        (applied,) = self._cursor.execute(sql_text("facts/max_applied_segment")).fetchone() or (0,)
        self._journal = Journal(journal_dir, after=applied)
        self._apply_rows = apply_rows
        self._apply_seconds = apply_seconds
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.batches_synced = 0
        self.applies = 0
        self.applied_at = time.monotonic()  # last time DuckDB held every row the journal had (read-only)
        self._recover()
        self._thread = threading.Thread(target=self._run, name="lotty-fact-writer", daemon=True)
        self._thread.start()

    # -- callers -------------------------------------------------------------------------------
    def submit(self, rows: Rows) -> Future[None]:
        """Queue rows; the future resolves once they are durable in the journal."""
        future: Future[None] = Future()
        if not any(rows.values()):
            future.set_result(None)
            return future
        self._queue.put((rows, future))
        return future

    def submit_columns(self, table: str, columns: Columns) -> Future[None]:
        """Queue rows given column by column (no tuple per row to build, journal or convert);
        the future resolves once they are durable in the journal."""
        future: Future[None] = Future()
        if not columns[0]:
            future.set_result(None)
            return future
        self._queue.put(({COLUMNS_KEY.format(table): columns}, future))
        return future

    def flush(self) -> None:
        """Return once everything submitted so far is in the DuckDB tables."""
        marker = _Flush()
        self._queue.put(marker)
        marker.done.result()

    def depth(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=60)

    # -- the thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        buffer: dict[str, list[pa.RecordBatch]] = {}
        buffered = 0
        next_apply = time.monotonic() + self._apply_seconds
        while True:
            timeout = max(0.0, next_apply - time.monotonic())
            batch: list[tuple[Rows, Future[None]]] = []
            controls: list[Any] = []
            try:
                item = self._queue.get(timeout=timeout)
                while True:
                    (controls if item is _STOP or isinstance(item, _Flush) else batch).append(item)
                    item = self._queue.get_nowait()
            except queue.Empty:
                pass
            if batch:
                buffered += self._sync(batch, buffer)
            if controls or buffered >= self._apply_rows or time.monotonic() >= next_apply:
                self._apply(buffer)
                buffered = 0
                next_apply = time.monotonic() + self._apply_seconds
            for control in controls:
                if isinstance(control, _Flush):
                    control.done.set_result(None)
            if _STOP in controls:
                self._journal.close()
                self._cursor.close()
                return

    def _sync(self, batch: list[tuple[Rows, Future[None]]], buffer: dict[str, list[pa.RecordBatch]]) -> int:
        """Journal the batch as one frame, fdatasync, acknowledge; returns the rows added to buffer."""
        merged: dict[str, list[Any]] = {}
        for rows, _ in batch:
            for key, data in rows.items():
                if not key.endswith(_COLUMNS_SUFFIX):
                    merged.setdefault(key, []).extend(data)
                elif key in merged:
                    for column, values in zip(merged[key], data, strict=True):
                        column.extend(values)
                else:
                    merged[key] = [list(values) for values in data]  # copies: the caller's lists stay theirs
        try:
            self._journal.append(_encode(merged))
            self._journal.sync()
        except Exception as exc:  # every waiter learns its rows were not stored
            log.exception("journal write failed", exc_info=exc)
            for _, future in batch:
                future.set_exception(exc)
            return 0
        self.batches_synced += 1
        for _, future in batch:
            future.set_result(None)
        # Converting each small batch now spreads the cost evenly, instead of one long burst
        # holding the GIL while a large apply converts everything at once.
        return _buffer_frame(merged, buffer)

    def _apply(self, buffer: dict[str, list[pa.RecordBatch]]) -> None:
        """Move buffered rows into DuckDB with the journal segments that hold them, then drop those."""
        if not any(buffer.values()):
            self.applied_at = time.monotonic()
            return
        segments = self._journal.rotate()
        try:
            self._insert(buffer, segments)
        except Exception:  # rows stay durable in the journal; the next start-up replays them
            log.exception("applying journal segments %s to DuckDB failed", segments)
            return
        buffer.clear()
        self._journal.remove(segments)
        self.applies += 1
        self.applied_at = time.monotonic()

    def _insert(self, batches: dict[str, list[pa.RecordBatch]], segments: list[int]) -> None:
        cursor = self._cursor
        cursor.execute("BEGIN TRANSACTION")
        try:
            for table, table_batches in batches.items():
                if not table_batches:
                    continue
                # One contiguous chunk: DuckDB scans a table of hundreds of tiny batches slowly.
                arrow = pa.Table.from_batches(table_batches, FACT_SCHEMAS[table]).combine_chunks()
                cursor.register(f"{table}_batch", arrow)
                try:
                    cursor.execute(sql_text(f"facts/append_{table}"))
                finally:
                    cursor.unregister(f"{table}_batch")
            for segment in segments:
                cursor.execute(sql_text("facts/mark_segment_applied"), {"segment": segment})
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise

    def _recover(self) -> None:
        """Apply every journal segment a previous process left behind (once, in order)."""
        leftover = [n for n in self._journal.segments() if n < self._journal.current]
        for segment in leftover:
            if self._cursor.execute(sql_text("facts/segment_applied"), {"segment": segment}).fetchone():
                self._journal.remove([segment])
                continue
            batches: dict[str, list[pa.RecordBatch]] = {}
            for frame in self._journal.read(segment):
                _buffer_frame(_decode(frame), batches)
            self._insert(batches, [segment])
            self._journal.remove([segment])
        if leftover:
            log.info("replayed %d journal segment(s)", len(leftover))
