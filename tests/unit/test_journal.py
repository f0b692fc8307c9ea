"""The fact journal and the writer's exactly-once apply: torn tails, replays, applied segments."""

from __future__ import annotations

import os

import pytest

from lotty.store import Store
from lotty.store.journal import Journal
from lotty.store.writer import FactWriter

ROW = ("exp", 1, "u-1", "red", 1_700_000_000_000_000, "d-1")


def enrolment(i: int) -> tuple:
    return ("exp", 1, f"u-{i}", "red", 1_700_000_000_000_000 + i, f"d-{i}")


def count(store: Store, table: str = "enrolments") -> int:
    return store.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_frames_round_trip_and_a_torn_tail_is_dropped(tmp_path):
    journal = Journal(tmp_path / "j")
    journal.append(b"first")
    journal.append(b"second")
    journal.sync()
    segment = journal.current
    journal.close()
    path = tmp_path / "j" / f"{segment:012d}.journal"
    with open(path, "ab") as handle:  # a crash in the middle of writing a third frame
        handle.write(b"\x00\x00\x00\x10\x12\x34")
    assert list(Journal(tmp_path / "j").read(segment)) == [b"first", b"second"]


def test_a_corrupt_frame_ends_the_segment(tmp_path):
    journal = Journal(tmp_path / "j")
    journal.append(b"good")
    journal.append(b"flipped")
    journal.append(b"after")
    journal.close()
    path = tmp_path / "j" / f"{journal.current:012d}.journal"
    data = bytearray(path.read_bytes())
    data[8 + 4 + 8 + 2] ^= 0xFF  # a byte inside the second payload
    path.write_bytes(bytes(data))
    assert list(journal.read(journal.current)) == [b"good"]


def test_acknowledged_rows_reach_duckdb_on_flush_and_the_journal_empties(store, tmp_path):
    writer = FactWriter(store, tmp_path / "j", apply_rows=10**9, apply_seconds=3600)
    futures = [writer.submit({"enrolments": [enrolment(i)]}) for i in range(50)]
    for future in futures:
        future.result(timeout=10)
    assert count(store) == 0  # durable in the journal, not yet applied
    writer.flush()
    assert count(store) == 50
    writer.close()
    assert Journal(tmp_path / "j").segments()[:-1] == []


def test_rows_left_in_the_journal_are_replayed_once_at_start(store, tmp_path):
    writer = FactWriter(store, tmp_path / "j", apply_rows=10**9, apply_seconds=3600)
    for i in range(20):
        writer.submit({"enrolments": [enrolment(i)]}).result(timeout=10)
    # Simulate a crash before any apply: the writer stops without moving rows to DuckDB.
    writer._apply = lambda buffer: None
    writer.close()
    assert count(store) == 0
    replaying = FactWriter(store, tmp_path / "j")
    assert count(store) == 20
    replaying.close()
    again = FactWriter(store, tmp_path / "j")
    assert count(store) == 20
    again.close()


def test_rows_given_as_columns_are_journaled_and_replayed_like_rows(store, tmp_path):
    """Column submissions (events) share frames with row submissions and survive a crash alike."""
    writer = FactWriter(store, tmp_path / "j", apply_rows=10**9, apply_seconds=3600)
    rows = [enrolment(i) for i in range(6)]
    columns = [list(column) for column in zip(*rows[:4], strict=True)]
    futures = [
        writer.submit_columns("enrolments", [column[:2] for column in columns]),
        writer.submit_columns("enrolments", [column[2:] for column in columns]),
        writer.submit({"enrolments": rows[4:]}),
        writer.submit_columns("enrolments", [[] for _ in columns]),  # nothing to store
    ]
    for future in futures:
        future.result(timeout=10)
    writer._apply = lambda buffer: None  # crash before any apply
    writer.close()
    assert count(store) == 0
    FactWriter(store, tmp_path / "j").close()
    stored = store.cursor().execute("SELECT * FROM enrolments ORDER BY subject_id").fetchall()
    assert [row[2] for row in stored] == [f"u-{i}" for i in range(6)]


def test_a_segment_already_applied_is_not_applied_again(store, tmp_path):
    journal_dir = tmp_path / "j"
    writer = FactWriter(store, journal_dir, apply_rows=10**9, apply_seconds=3600)
    writer.submit({"enrolments": [ROW]}).result(timeout=10)
    segment = writer._journal.current
    # Crash after the apply committed but before the segment file was deleted.
    keep = (journal_dir / f"{segment:012d}.journal").read_bytes()
    writer.flush()
    (journal_dir / f"{segment:012d}.journal").write_bytes(keep)
    writer.close()
    FactWriter(store, journal_dir).close()
    assert count(store) == 1
    assert not (journal_dir / f"{segment:012d}.journal").exists()


def test_a_failed_journal_write_fails_every_waiter(store, tmp_path):
    writer = FactWriter(store, tmp_path / "j")
    os.close(writer._journal._fd)  # the disk goes away
    writer._journal._fd = os.open(os.devnull, os.O_RDONLY)
    future = writer.submit({"enrolments": [ROW]})
    with pytest.raises(OSError):
        future.result(timeout=10)
    writer._journal._fd = os.open(tmp_path / "j" / "spare", os.O_WRONLY | os.O_CREAT)
    writer.close()


def test_segment_numbers_never_repeat_after_a_clean_restart(store, tmp_path):
    """A clean close empties the journal directory; numbering must continue after the applied ones."""
    for round_ in range(3):
        writer = FactWriter(store, tmp_path / "j")
        writer.submit({"enrolments": [enrolment(round_)]}).result(timeout=10)
        writer.close()
    assert count(store) == 3
