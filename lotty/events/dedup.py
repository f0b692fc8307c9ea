"""The index of event ids accepted in the last 7 days, bounded in memory and measured.

It keeps a 64-bit hash of each id (polars' vectorised string hash, stable within a process; the
index is rebuilt from stored events at every start) and the UTC day the id was accepted:
- new ids go to a small dict (`recent`, at most `run_size` entries);
- a full `recent` becomes a sorted run (a polars frame of `h` UInt64 and `day` UInt16, 10 bytes per
  id); runs are merged while the older one is at most `merge_factor` times the newer, so there
  are O(log n) runs and each id is copied O(log n) times;
- a lookup checks `recent`, then binary-searches every run (vectorised over the whole batch);
- when the day advances, entries from days before `today - window_days` are dropped, so every id
  accepted in the last `window_days` * 24 hours is kept (and at most one day more).

A false duplicate needs two different ids with the same 64-bit hash: with n ids indexed, a new id
collides with probability n / 2^64 (about 5e-12 at 100 million ids).
"""

from __future__ import annotations

import gc
import operator
import tracemalloc
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

DAY_US = 86_400 * 1_000_000
HASH_SEED = 0x10_77_E5


def hash_ids(event_ids: Sequence[str] | pl.Series) -> pl.Series:
    """The 64-bit hash (UInt64) of each event id, in one vectorised call."""
    series = event_ids if isinstance(event_ids, pl.Series) else pl.Series(event_ids, dtype=pl.String)
    return series.hash(seed=HASH_SEED)


def _run(hashes: Any, days: Any) -> pl.DataFrame:
    return pl.DataFrame(
        {"h": pl.Series(hashes, dtype=pl.UInt64), "day": pl.Series(days, dtype=pl.UInt16)}
    ).sort("h")


class DedupIndex:
    """Hashes of ids accepted in the last `window_days`. Not thread-safe: the caller locks."""

    def __init__(self, window_days: int = 7, *, run_size: int = 1 << 16, merge_factor: int = 4):
        self.window_days = window_days
        self.run_size = run_size
        self.merge_factor = merge_factor
        self._recent: dict[int, int] = {}
        self._runs: list[pl.DataFrame] = []
        self._today = 0

    def __len__(self) -> int:
        return len(self._recent) + sum(run.height for run in self._runs)

    @property
    def runs(self) -> int:
        return len(self._runs)

    def native_bytes(self) -> int:
        """Bytes held by the runs' column buffers (outside Python's heap, so tracemalloc misses them)."""
        return sum(int(run.estimated_size()) for run in self._runs)

    # -- reads -----------------------------------------------------------------------------------
    def contains(self, hashes: pl.Series) -> list[bool]:
        """For each hash (UInt64 series from `hash_ids`), whether the index holds it."""
        values = hashes.to_list()
        found = list(map(self._recent.__contains__, values))
        if self._runs:
            # Eager binary searches of the sorted queries (neighbouring queries share the upper
            # levels of their search paths in cache); hits are rare, so they come back as a set.
            query = hashes.sort()
            hit = pl.repeat(False, len(query), eager=True)
            for run in self._runs:
                column = run.get_column("h")
                at = column.search_sorted(query, side="left").clip(upper_bound=run.height - 1)
                hit = hit | (column.gather(at) == query)
            in_runs = set(query.filter(hit).to_list())
            if in_runs:
                found = list(map(operator.or_, found, map(in_runs.__contains__, values)))
        return found

    # -- writes ----------------------------------------------------------------------------------
    def add(self, hashes: Iterable[int], day: int) -> None:
        """Remember ids accepted on `day` (days since the Unix epoch, UTC)."""
        if day > self._today:
            self.expire(day)
        recent = self._recent
        recent.update(dict.fromkeys(hashes, day))
        if len(recent) >= self.run_size:
            self._push(_run(list(recent), list(recent.values())))
            self._recent = {}

    def load(self, hashes: pl.Series, days: pl.Series) -> None:
        """Bulk-add stored ids (start-up): one sorted run, duplicates dropped."""
        if hashes.len():
            run = _run(hashes, days).unique(subset="h", keep="first", maintain_order=True)
            self._push(run)
            self.expire(max(self._today, int(days.max())))  # type: ignore[arg-type]

    def expire(self, today: int) -> None:
        """Drop the ids accepted before day `today - window_days`."""
        self._today = max(self._today, today)
        cutoff = self._today - self.window_days
        if any(day < cutoff for day in self._recent.values()):
            self._recent = {h: day for h, day in self._recent.items() if day >= cutoff}
        kept = []
        for run in self._runs:
            if run.height and run.get_column("day").min() < cutoff:  # type: ignore[operator]
                run = run.filter(pl.col("day") >= cutoff)
            if run.height:
                kept.append(run)
        self._runs = kept

    def _push(self, run: pl.DataFrame) -> None:
        runs = self._runs
        runs.append(run)
        runs.sort(key=lambda r: -r.height)  # newest-smallest last, so merges stay cheap
        while len(runs) >= 2 and runs[-2].height <= self.merge_factor * runs[-1].height:
            newer = runs.pop()
            runs[-1] = runs[-1].merge_sorted(newer, key="h")


def measure_bytes_per_id(count: int = 1_000_000, batch: int = 1000) -> dict[str, float]:
    """Fill a fresh index with `count` distinct ids, `batch` at a time, and measure its memory.

    `python_bytes_per_id` is what tracemalloc sees at the end (the `recent` dict of at most
    `run_size` ids and the Python objects; `python_peak_bytes_per_id` the most it saw on the way);
    `native_bytes_per_id` the runs' polars buffers, which live outside Python's heap. Their sum,
    `bytes_per_id`, is the index's footprint per id.
    """
    gc.collect()
    tracemalloc.start()
    try:
        index = DedupIndex()
        for start in range(0, count, batch):
            ids = [f"evt-{n:012d}" for n in range(start, min(start + batch, count))]
            index.add(hash_ids(ids).to_list(), day=20_000)
            del ids
        gc.collect()
        python_bytes, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    native = index.native_bytes()
    return {
        "ids": float(len(index)),
        "runs": float(index.runs),
        "python_bytes_per_id": python_bytes / count,
        "python_peak_bytes_per_id": python_peak / count,
        "native_bytes_per_id": native / count,
        "bytes_per_id": (python_bytes + native) / count,
    }
