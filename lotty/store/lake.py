"""The Parquet lake: hot fact rows move to `data/lake/<table>/date=YYYY-MM-DD/*.parquet`, exactly once.

A flush reads every hot row of a table inside one DuckDB transaction, writes them as zstd Parquet
(one file per event-date partition; temp name, fsync, rename), lists the files in the manifest
under a new batch number, then deletes those rows and records the batch in `lake_batches` in the
same transaction. At start-up a manifest file whose batch never committed is dropped (its rows are
still hot) and files the manifest does not know are deleted, so a crash at any step neither loses
nor duplicates a row. Rows that need no hot tail (the async decision log) are written straight in
by `append`, under a batch number of their own. Compaction rewrites a partition's files as one and
retires the old ones, which `vacuum` deletes after a grace period (readers outside the server may
still be reading them).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lotty.store.database import Store
from lotty.store.facts import FACT_SCHEMAS
from lotty.store.journal import fsync_directory
from lotty.store.sqlfiles import sql_text

log = logging.getLogger("lotty.lake")
MANIFEST = "_manifest.json"
TIME_COLUMN = {"events": "ts", "decisions": "decided_at", "enrolments": "enrolled_at"}
RETIRED_GRACE_SECONDS = 600.0
COMPACT_BELOW_BYTES = 128 * 1024 * 1024


@dataclass
class LakeFile:
    table: str
    path: str  # relative to the lake directory
    date: str
    batches: list[int]
    rows: int


@dataclass
class Manifest:
    next_batch: int = 1
    files: list[LakeFile] = field(default_factory=list)
    retired: list[dict[str, Any]] = field(default_factory=list)  # {"path", "at" (epoch seconds)}

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        return cls(raw["next_batch"], [LakeFile(**f) for f in raw["files"]], raw.get("retired", []))

    def save(self, path: Path) -> None:
        """Atomic replace: readers see the old manifest or the new one, never half of one."""
        temporary = path.with_suffix(".tmp")
        # One line through json's C encoder: `json.dump` with `indent` encodes in Python, holding
        # the GIL ~5 µs per listed file on every flush, which the serving thread waits out.
        text = json.dumps(
            {
                "version": 1,
                "next_batch": self.next_batch,
                "files": [asdict(f) for f in self.files],
                "retired": self.retired,
            }
        )
        with open(temporary, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
        fsync_directory(path.parent)


def read_manifest(lake_dir: Path) -> Manifest:
    return Manifest.load(lake_dir / MANIFEST)


@dataclass(frozen=True)
class Pacing:
    """How a write shares a core with a serving event loop: `row_group_rows` rows at a time, a
    pause of `pause_seconds` after each.

    A thread that encodes Parquet beside the loop on the same core keeps the core for whole
    scheduler ticks (4 ms at HZ=250); a row group of a thousand rows costs under a millisecond, and
    the pause hands the core back. Compaction later merges the files into full-size row groups."""

    row_group_rows: int
    pause_seconds: float


class Lake:
    def __init__(self, store: Store, lake_dir: Path | None = None):
        self._store = store
        self.dir = lake_dir or store.lake_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._cursor = store.cursor()
        self.manifest = Manifest.load(self.dir / MANIFEST)
        self.last_flush_at: float | None = None
        self.reconcile()

    # -- start-up --------------------------------------------------------------------------------
    def reconcile(self) -> None:
        """Drop manifest files of batches that never committed and files the manifest does not know."""
        with self._lock:
            self._reconcile()

    def _reconcile(self) -> None:
        """The body of reconcile(); the caller holds self._lock."""
        committed = {row[0] for row in self._cursor.execute(sql_text("lake/committed_batches")).fetchall()}
        kept = [f for f in self.manifest.files if all(b in committed for b in f.batches)]
        dropped = [f for f in self.manifest.files if f not in kept]
        self.manifest.files = kept
        self.manifest.next_batch = max(self.manifest.next_batch, max(committed, default=0) + 1)
        self.manifest.save(self.dir / MANIFEST)
        for lake_file in dropped:
            (self.dir / lake_file.path).unlink(missing_ok=True)
        known = {f.path for f in kept} | {r["path"] for r in self.manifest.retired}
        for table in FACT_SCHEMAS:
            for path in (self.dir / table).rglob("*"):
                if path.is_file() and str(path.relative_to(self.dir)) not in known:
                    path.unlink()  # written before a crash, never listed: its rows are still hot
        self._publish()
        if dropped:
            log.info("lake: dropped %d file(s) of uncommitted batches", len(dropped))

    def _publish(self, tables: tuple[str, ...] = tuple(FACT_SCHEMAS)) -> None:
        for table in tables:
            self._store.set_lake_files(
                table, [str(self.dir / f.path) for f in self.manifest.files if f.table == table]
            )

    # -- flush -----------------------------------------------------------------------------------
    def flush(self) -> dict[str, int]:
        """Move every hot row of every fact table to the lake; returns rows moved per table."""
        with self._lock:
            moved = {table: self._flush_table(table) for table in FACT_SCHEMAS}
        self.last_flush_at = time.monotonic()
        return moved

    def _flush_table(self, table: str) -> int:
        cursor = self._cursor
        cursor.execute("BEGIN TRANSACTION")
        try:
            rows = cursor.sql(sql_text(f"lake/snapshot_{table}")).to_arrow_table()
            if rows.num_rows == 0:
                cursor.execute("ROLLBACK")
                return 0
            batch = self._write_batch(table, rows)  # listed before the commit; reconcile undoes it
            cursor.execute(sql_text(f"lake/clear_{table}"))
            cursor.execute(
                sql_text("lake/record_batch"),
                {"batch": batch, "fact_table": table, "row_count": rows.num_rows},
            )
            # Readers under the store lock see the rows either hot or in the lake, never both or neither.
            with self._store.exclusive():
                cursor.execute("COMMIT")
                self._publish((table,))
        except BaseException:
            cursor.execute("ROLLBACK")
            self._reconcile()  # forget the files of the batch that did not commit
            raise
        return rows.num_rows

    def append(self, table: str, rows: pa.Table, pacing: Pacing | None = None) -> int:
        """Write rows that never were hot (the async decision log) straight into the lake; returns
        how many. The files are listed, then their batch recorded: a crash in between drops them at
        start-up, losing these rows (they were never durable) but never listing a half-written file.
        With `pacing`, each file is written a row group at a time with a pause after each."""
        if rows.num_rows == 0:
            return 0
        with self._lock:
            try:
                batch = self._write_batch(table, rows, pacing)
                self._cursor.execute(
                    sql_text("lake/record_batch"),
                    {"batch": batch, "fact_table": table, "row_count": rows.num_rows},
                )
            except BaseException:
                self._reconcile()  # forget the files of the batch that was not recorded
                raise
            with self._store.exclusive():
                self._publish((table,))
        return rows.num_rows

    def _write_batch(self, table: str, rows: pa.Table, pacing: Pacing | None = None) -> int:
        """Write `rows` under a new batch number and list its files in the saved manifest; returns
        the batch, which the caller records (until then, start-up drops the files)."""
        batch = self.manifest.next_batch
        self.manifest.next_batch += 1
        written = self._write_partitions(table, batch, rows.cast(FACT_SCHEMAS[table]), pacing)
        self.manifest.files.extend(written)
        self.manifest.save(self.dir / MANIFEST)
        return batch

    def _write_partitions(
        self, table: str, batch: int, rows: pa.Table, pacing: Pacing | None
    ) -> list[LakeFile]:
        # Days, not date strings: formatting every row's timestamp cost more than writing the file.
        days = rows[TIME_COLUMN[table]].cast(pa.date32())
        unique = sorted(pc.unique(days).to_pylist())
        written = []
        for day in unique:
            part = rows if len(unique) == 1 else rows.filter(pc.equal(days, pa.scalar(day, pa.date32())))
            date = day.isoformat()
            relative = f"{table}/date={date}/part-{batch:010d}.parquet"
            _write_parquet(part, self.dir / relative, pacing)
            written.append(LakeFile(table, relative, date, [batch], part.num_rows))
        return written

    # -- compaction ------------------------------------------------------------------------------
    def compact(self) -> int:
        """Rewrite each partition that has several small files as one; returns files retired."""
        retired = 0
        with self._lock:
            groups: dict[tuple[str, str], list[LakeFile]] = {}
            for lake_file in self.manifest.files:
                groups.setdefault((lake_file.table, lake_file.date), []).append(lake_file)
            for (table, date), files in sorted(groups.items()):
                sizes = [(self.dir / f.path).stat().st_size for f in files]
                if len(files) < 2 or sum(sizes) > COMPACT_BELOW_BYTES:
                    continue
                merged = pa.concat_tables(pq.read_table(self.dir / f.path) for f in files)
                batches = sorted(b for f in files for b in f.batches)
                relative = f"{table}/date={date}/part-{batches[0]:010d}-{batches[-1]:010d}c.parquet"
                _write_parquet(merged.cast(FACT_SCHEMAS[table]), self.dir / relative)
                replacement = LakeFile(table, relative, date, batches, merged.num_rows)
                self.manifest.files = [f for f in self.manifest.files if f not in files] + [replacement]
                now = time.time()
                self.manifest.retired.extend({"path": f.path, "at": now} for f in files)
                self.manifest.save(self.dir / MANIFEST)
                with self._store.exclusive():
                    self._publish((table,))
                retired += len(files)
        return retired

    def vacuum(self, now: float | None = None, grace_seconds: float = RETIRED_GRACE_SECONDS) -> int:
        """Delete retired files older than the grace period; returns how many."""
        now = time.time() if now is None else now
        with self._lock:
            due = [r for r in self.manifest.retired if now - r["at"] >= grace_seconds]
            if not due:
                return 0
            self.manifest.retired = [r for r in self.manifest.retired if r not in due]
            self.manifest.save(self.dir / MANIFEST)
            for entry in due:
                (self.dir / entry["path"]).unlink(missing_ok=True)
        return len(due)

    def close(self) -> None:
        with self._lock:
            self._cursor.close()


def _write_parquet(table: pa.Table, path: Path, pacing: Pacing | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".parquet.tmp")
    if pacing is None:
        pq.write_table(table, temporary, compression="zstd")
    else:
        with pq.ParquetWriter(temporary, table.schema, compression="zstd") as writer:
            for start in range(0, table.num_rows, pacing.row_group_rows):
                writer.write_table(table.slice(start, pacing.row_group_rows))
                time.sleep(pacing.pause_seconds)
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    temporary.replace(path)
    fsync_directory(path.parent)
