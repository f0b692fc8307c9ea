"""Group commit for fact rows: many requests' rows, one transaction, durable before anyone returns.

Callers `submit` rows and wait on the returned future; one writer thread drains the queue, writes
each table's rows as one Arrow batch, commits once, and resolves every future of the batch.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import pyarrow as pa

from lotty.store.database import Store
from lotty.store.sqlfiles import sql_text

log = logging.getLogger("lotty.writer")

FACT_SCHEMAS: dict[str, pa.Schema] = {
    "enrolments": pa.schema(
        [
            ("experiment", pa.string()),
            ("version", pa.int32()),
            ("subject_id", pa.string()),
            ("variant", pa.string()),
            ("enrolled_at", pa.timestamp("us")),
            ("decision_id", pa.string()),
        ]
    ),
    "decisions": pa.schema(
        [
            ("decision_id", pa.string()),
            ("decided_at", pa.timestamp("us")),
            ("subject_id", pa.string()),
            ("flag", pa.string()),
            ("reason", pa.string()),
            ("value", pa.string()),
            ("experiment", pa.string()),
            ("experiment_version", pa.int32()),
            ("variant", pa.string()),
        ]
    ),
}

Rows = dict[str, Sequence[Sequence[Any]]]  # table → rows as tuples in FACT_SCHEMAS column order
_STOP = object()


class FactWriter:
    """One thread, one cursor, one transaction per batch of submissions."""

    def __init__(self, store: Store, *, max_batch_rows: int = 20_000):
        self._store = store
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._max_batch_rows = max_batch_rows
        self._thread = threading.Thread(target=self._run, name="lotty-fact-writer", daemon=True)
        self._thread.start()
        self.batches_committed = 0

    def submit(self, rows: Rows) -> Future[None]:
        future: Future[None] = Future()
        if not any(rows.values()):
            future.set_result(None)
            return future
        self._queue.put((rows, future))
        return future

    def depth(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        cursor = self._store.cursor()
        stopping = False
        while not stopping:
            item = self._queue.get()
            if item is _STOP:
                break
            batch = [item]
            size = sum(len(r) for r in item[0].values())
            while size < self._max_batch_rows:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
                size += sum(len(r) for r in item[0].values())
            self._write(cursor, batch)
        cursor.close()

    def _write(self, cursor: Any, batch: list[tuple[Rows, Future[None]]]) -> None:
        merged: dict[str, list[Sequence[Any]]] = {}
        for rows, _ in batch:
            for table, table_rows in rows.items():
                merged.setdefault(table, []).extend(table_rows)
        try:
            cursor.execute("BEGIN TRANSACTION")
            try:
                for table, table_rows in merged.items():
                    schema = FACT_SCHEMAS[table]
                    columns = list(zip(*table_rows, strict=True))
                    arrow = pa.Table.from_arrays(
                        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                        schema=schema,
                    )
                    cursor.register(f"{table}_batch", arrow)
                    try:
                        cursor.execute(sql_text(f"facts/append_{table}"))
                    finally:
                        cursor.unregister(f"{table}_batch")
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        except Exception as exc:  # every waiter learns its rows were not stored
            log.exception("fact batch failed", exc_info=exc)
            for _, future in batch:
                future.set_exception(exc)
            return
        self.batches_committed += 1
        for _, future in batch:
            future.set_result(None)
