"""One DuckDB database file per data dir, owned by one process.

Catalog work is serialised through one lock: admin changes are rare and small, and a single
writer keeps every change (row + audit entry) in one transaction. Listeners hear about each
committed catalog change so in-memory snapshots can be rebuilt.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from lotty.store.facts import FACT_SCHEMAS, ensure_schema_files, lake_file_list
from lotty.store.sqlfiles import migration_files, sql_text
from lotty.store.views import create_views

Row = dict[str, Any]
# DuckDB's own default is 80 % of the machine's memory; a report over 50M events would take most of
# it. Capped, the big aggregations spill to lotty.duckdb.tmp instead (docs/benchmarks.md).
MEMORY_LIMIT_BYTES = 3 * 1000**3


def default_memory_limit() -> str:
    """3 GB, or 80 % of the machine's memory when that is less (DuckDB's own default)."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{min(MEMORY_LIMIT_BYTES, int(physical * 0.8)) // 1000**2}MB"


class Tx:
    """A cursor inside an open transaction; statements are named SQL files bound with `$params`."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection):
        self._cursor = cursor

    def execute(self, statement: str, /, **params: Any) -> None:
        self._cursor.execute(sql_text(statement), params or None)

    def fetch_all(self, statement: str, /, **params: Any) -> list[Row]:
        result = self._cursor.execute(sql_text(statement), params or None)
        columns = [d[0] for d in result.description or ()]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]

    def fetch_one(self, statement: str, /, **params: Any) -> Row | None:
        rows = self.fetch_all(statement, **params)
        return rows[0] if rows else None

    def fetch_value(self, statement: str, /, **params: Any) -> Any:
        row = self._cursor.execute(sql_text(statement), params or None).fetchone()
        return None if row is None else row[0]


class Store:
    """Owns the DuckDB connection of a data dir."""

    def __init__(
        self,
        path: Path | str,
        *,
        read_only: bool = False,
        lake_dir: Path | None = None,
        memory_limit: str | None = None,
    ):
        self.path = Path(path)
        self.lake_dir = lake_dir or self.path.parent / "lake"
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ensure_schema_files(self.lake_dir)
        self._conn = duckdb.connect(str(self.path), read_only=read_only)
        self._conn.execute(sql_text("store/memory_limit"), {"limit": memory_limit or default_memory_limit()})
        self._lock = threading.RLock()
        self._listeners: list[Callable[[], None]] = []
        self.catalog_version = 0
        # The lake files each fact view reads, as DuckDB variables (per connection: see cursor()).
        self._lake_files = {table: lake_file_list(self.lake_dir, table, []) for table in FACT_SCHEMAS}
        self._apply_lake_files(self._conn)

    # -- lifecycle -------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply the migrations not yet applied, then recreate the views; returns the names applied now."""
        applied_now = []
        with self._lock:
            self._conn.execute(sql_text("store/create_migrations_table"))
            done = {row[0] for row in self._conn.execute(sql_text("store/applied_migrations")).fetchall()}
            for number, name, path in migration_files():
                if number in done:
                    continue
                self._conn.execute("BEGIN TRANSACTION")
                try:
                    self._conn.execute(path.read_text(encoding="utf-8"))
                    self._conn.execute(sql_text("store/record_migration"), {"version": number, "name": name})
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                applied_now.append(f"{number:03d}_{name}")
            create_views(self._conn)  # derived, so replaced every time (lotty/store/views.py)
        return applied_now

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A separate cursor on the same database (a thread of its own), seeing the same lake files."""
        cursor = self._conn.cursor()
        self._apply_lake_files(cursor)
        return cursor

    # -- the lake's files --------------------------------------------------------
    def lake_files(self, table: str) -> list[str]:
        return list(self._lake_files[table])

    def set_lake_files(self, table: str, files: list[str]) -> None:
        """What the reading views of `table` see of the lake (cursors made later see it too)."""
        with self._lock:
            self._lake_files[table] = lake_file_list(self.lake_dir, table, files)
            self._conn.execute(sql_text(f"lake/set_{table}_files"), {"files": self._lake_files[table]})

    def _apply_lake_files(self, connection: duckdb.DuckDBPyConnection) -> None:
        for table, files in self._lake_files.items():
            connection.execute(sql_text(f"lake/set_{table}_files"), {"files": files})

    # -- catalog access ----------------------------------------------------------
    def on_catalog_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the store lock: readers going through read() wait until the block ends."""
        with self._lock:
            yield

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """Consistent reads under the catalog lock (no transaction needed for one statement)."""
        with self._lock:
            yield Tx(self._conn)

    @contextmanager
    def transaction(self, *, catalog: bool = True) -> Iterator[Tx]:
        """All-or-nothing change; catalog listeners run after the commit unless `catalog=False`
        (bookkeeping such as the notification outbox, which no snapshot depends on)."""
        with self._lock:
            self._conn.execute("BEGIN TRANSACTION")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            if not catalog:
                return
            self.catalog_version += 1
            for listener in list(self._listeners):
                listener()

    def is_writable(self) -> bool:
        try:
            with self._lock:
                self._conn.execute(sql_text("store/write_probe"))
            return True
        except duckdb.Error:
            return False
