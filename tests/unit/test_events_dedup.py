"""The dedup index (lotty/events/dedup.py): exact membership, bounded runs, day expiry, memory."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from lotty.events.dedup import DedupIndex, hash_ids, measure_bytes_per_id

DAY = 20_000  # days since the epoch (2024-10-04)


def ids(*names: str) -> pl.Series:
    return hash_ids(list(names))


def test_hashes_are_64_bit_and_stable_within_the_process():
    first, again = hash_ids(["a", "b"]), hash_ids(pl.Series(["a", "b"]))
    assert first.dtype == pl.UInt64 and first.to_list() == again.to_list()
    assert first[0] != first[1]


def test_contains_what_was_added_and_nothing_else():
    index = DedupIndex(run_size=4)
    index.add(ids(*(f"e{i}" for i in range(10))).to_list(), DAY)
    assert index.runs >= 1 and len(index) == 10
    assert index.contains(ids("e0", "x", "e9", "e5", "y")) == [True, False, True, True, False]
    assert index.contains(ids()) == []


def test_runs_stay_few_while_ids_pile_up():
    index = DedupIndex(run_size=8, merge_factor=4)
    for start in range(0, 4000, 10):
        index.add(ids(*(f"e{i}" for i in range(start, start + 10))).to_list(), DAY)
    assert len(index) == 4000
    assert index.runs <= 6  # log4(4000 / 8) + 1
    assert all(index.contains(ids("e0", "e1999", "e3999")))


def test_ids_older_than_the_window_are_dropped_by_whole_days():
    index = DedupIndex(window_days=7, run_size=2)
    index.add(ids("old-1", "old-2", "old-3").to_list(), DAY)
    index.add(ids("mid").to_list(), DAY + 3)
    index.add(ids("edge").to_list(), DAY + 7)
    assert index.contains(ids("old-1", "old-3")) == [True, True]  # DAY is exactly 7 days back: kept
    index.add(ids("new").to_list(), DAY + 8)
    assert index.contains(ids("old-1", "old-2", "old-3", "mid", "edge", "new")) == [
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert len(index) == 3


def test_load_takes_stored_ids_once_each():
    index = DedupIndex()
    index.load(ids("a", "b", "a"), pl.Series([DAY, DAY, DAY + 1]))
    assert len(index) == 2 and index.contains(ids("a", "b", "c")) == [True, True, False]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.integers(0, 300), max_size=12), st.integers(0, 12)),
        max_size=30,
    ),
    st.lists(st.integers(0, 300), max_size=40),
)
def test_the_index_agrees_with_a_plain_set_model(batches, probes):
    """Model: an id is present iff it was added on a day within the window of the latest day."""
    index = DedupIndex(window_days=7, run_size=5, merge_factor=2)
    model: dict[str, int] = {}
    latest = 0
    for numbers, offset in sorted(batches, key=lambda b: b[1]):
        names = [f"id-{n}" for n in numbers]
        index.add(hash_ids(names).to_list(), DAY + offset)
        for name in names:
            model[name] = max(model.get(name, 0), DAY + offset)  # re-adding refreshes the day
        latest = max(latest, DAY + offset)
    expected = [f"id-{n}" in model and model[f"id-{n}"] >= latest - 7 for n in probes]
    assert index.contains(hash_ids([f"id-{n}" for n in probes])) == expected


def test_memory_per_id_is_measured_and_small():
    measured = measure_bytes_per_id(count=200_000)
    assert measured["ids"] == 200_000
    assert 8 <= measured["native_bytes_per_id"] <= 12  # 8-byte hash + 2-byte day per id in the runs
    assert measured["bytes_per_id"] < 50
