"""The async decision log: its buffer gives exactly the rows a per-row conversion would, and its
writer puts them in the lake (visible after a flush, kept by start-up and compaction, written on close)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lotty import decision_log
from lotty.decision_log import DecisionLogBuffer, LakeDecisionLog
from lotty.reasons import Decision
from lotty.runtime import IssuedDecision
from lotty.store import Store
from lotty.store.lake import Lake, Pacing, read_manifest

EPOCH = datetime(1970, 1, 1)


def _issued(flag, value, reason, experiment=None, version=None, variant=None, n=0):
    return IssuedDecision(
        flag=flag,
        value=value,
        reason=reason,
        decision_id=f"id-{flag}-{n}",
        experiment=experiment,
        experiment_version=version,
        variant=variant,
    )


def _log(buffer: DecisionLogBuffer, subject: str, stamp: int, issued: list[IssuedDecision]) -> None:
    """Append as the decide service does: the answers (without ids), then their ids."""
    answers = [
        Decision(d.flag, d.value, d.reason, d.experiment, d.experiment_version, d.variant) for d in issued
    ]
    buffer.append(subject, stamp, answers, [d.decision_id for d in issued])


def _rows(batches: list[pa.RecordBatch]) -> list[dict]:
    return pa.Table.from_batches(batches, decision_log.FACT_SCHEMAS["decisions"]).to_pylist()


def test_drained_rows_equal_the_decisions_in_order():
    buffer = DecisionLogBuffer()
    assert buffer.drain() == []
    calls = [
        ("u-1", 1_763_700_000_000_000, [_issued("a", "red", "experiment_assigned", "exp", 2, "red", 1)]),
        (
            "u-2",
            1_763_700_000_000_001,
            [
                _issued("a", "green", "targeting_mismatch", "exp", 2, None, 2),
                _issued("b", {"limit": [1, 2]}, "no_active_experiment", n=3),
                _issued("missing", None, "flag_not_found", n=4),
            ],
        ),
        ("u-1", 1_763_700_000_000_002, [_issued("a", "red", "experiment_assigned", "exp", 2, "red", 5)]),
    ]
    for subject, stamp, issued in calls:
        _log(buffer, subject, stamp, issued)
    rows = _rows(buffer.drain())
    assert rows == [
        {
            "decision_id": d.decision_id,
            "decided_at": EPOCH + timedelta(microseconds=stamp),
            "subject_id": subject,
            "flag": d.flag,
            "reason": d.reason,
            "value": msgspec.json.encode(d.value).decode(),
            "experiment": d.experiment,
            "experiment_version": d.experiment_version,
            "variant": d.variant,
        }
        for subject, stamp, issued in calls
        for d in issued
    ]
    assert buffer.drain() == []


def test_the_appending_call_converts_every_batch_rows_rows_and_drain_converts_the_rest():
    buffer = DecisionLogBuffer(batch_rows=4)
    calls = [
        (f"u-{n}", STAMP + n, [_issued(f"f{k}", k, "no_active_experiment", n=10 * n + k) for k in range(2)])
        for n in range(5)
    ]
    for subject, stamp, issued in calls[:2]:
        _log(buffer, subject, stamp, issued)
    assert [b.num_rows for b in buffer._batches] == [4] and buffer._rows == 0  # converted at append
    for subject, stamp, issued in calls[2:]:
        _log(buffer, subject, stamp, issued)
    batches = buffer.drain()
    assert [b.num_rows for b in batches] == [4, 4, 2] and buffer.drain() == []
    assert [(r["subject_id"], r["decision_id"]) for r in _rows(batches)] == [
        (subject, d.decision_id) for subject, _, issued in calls for d in issued
    ]


def test_the_outcome_table_restarts_when_it_grows_past_its_bound(monkeypatch):
    monkeypatch.setattr(decision_log, "MAX_OUTCOMES", 2)
    buffer = DecisionLogBuffer()
    for n in range(4):
        _log(buffer, "u", 1, [_issued(f"f{n}", n, "no_active_experiment", n=n)])
    assert [r["flag"] for r in _rows(buffer.drain())] == ["f0", "f1", "f2", "f3"]
    _log(buffer, "u", 1, [_issued("g", 1, "no_active_experiment")])
    assert [(r["flag"], r["value"]) for r in _rows(buffer.drain())] == [("g", "1")]


def test_a_prebuilt_answer_is_encoded_once_and_equal_answers_share_one_outcome(monkeypatch):
    encoded = []
    encode = decision_log._encode_json
    monkeypatch.setattr(decision_log, "_encode_json", lambda value: encoded.append(value) or encode(value))
    buffer = DecisionLogBuffer()
    prebuilt = Decision("a", {"limit": 3}, "experiment_assigned", "exp", 2, "red")
    for n in range(3):
        buffer.append(f"u-{n}", STAMP + n, [prebuilt], [f"id-{n}"])
    assert encoded == [{"limit": 3}]
    buffer.append("u-3", STAMP + 3, [Decision(*prebuilt)], ["id-3"])  # equal, not the same object
    assert len(encoded) == 2 and len(buffer._outcomes) == 1
    rows = _rows(buffer.drain())
    assert [(r["decision_id"], r["value"], r["variant"]) for r in rows] == [
        (f"id-{n}", '{"limit":3}', "red") for n in range(4)
    ]


# -- the lake writer -------------------------------------------------------------------------------
STAMP = 1_763_700_000_000_000  # 2025-11-21


def _count(store: Store, relation: str = "decisions") -> int:
    with store.read() as tx:
        return tx._cursor.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]


def _append(buffer: DecisionLogBuffer, calls: int, first: int = 0) -> None:
    for n in range(first, first + calls):
        _log(buffer, f"u-{n}", STAMP + n, [_issued("a", "red", "experiment_assigned", "exp", 1, "red", n)])


def test_flushed_decisions_are_in_the_view_from_the_lake_and_never_hot(store):
    lake = Lake(store)
    buffer = DecisionLogBuffer()
    writer = LakeDecisionLog(buffer, lake, interval_seconds=3600)
    _append(buffer, 5)
    assert writer.flush() == 5 and writer.flush() == 0
    assert _count(store) == 5 and _count(store, "decisions_hot") == 0
    (lake_file,) = read_manifest(lake.dir).files
    assert (lake_file.table, lake_file.date, lake_file.rows) == ("decisions", "2025-11-21", 5)
    writer.close()
    lake.close()
    reopened = Lake(store)  # the batch was recorded: start-up keeps the file
    assert [f.path for f in reopened.manifest.files] == [lake_file.path] and _count(store) == 5
    reopened.close()


def test_close_writes_what_is_left_and_a_full_buffer_does_not_wait_for_the_interval(store):
    lake = Lake(store)
    buffer = DecisionLogBuffer(full_rows=10)
    writer = LakeDecisionLog(buffer, lake, interval_seconds=3600)
    _append(buffer, 10)
    deadline = time.monotonic() + 10
    while _count(store) < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _count(store) == 10
    _append(buffer, 3, first=10)
    writer.close()
    assert _count(store) == 13
    lake.close()


def test_compaction_merges_the_decision_logs_files(store):
    lake = Lake(store)
    buffer = DecisionLogBuffer()
    writer = LakeDecisionLog(buffer, lake, interval_seconds=3600)
    for round_ in range(3):
        _append(buffer, 4, first=10 * round_)
        writer.flush()
    writer.close()
    assert len(lake.manifest.files) == 3
    assert lake.compact() == 3
    assert len(lake.manifest.files) == 1 and _count(store) == 12
    lake.close()
    reopened = Lake(store)
    assert len(reopened.manifest.files) == 1 and _count(store) == 12
    reopened.close()


def test_a_batch_that_was_not_recorded_leaves_no_file_listed(store):
    lake = Lake(store)
    cursor = lake._cursor

    class FailingRecord:
        def execute(self, statement, *args):
            if "INSERT INTO lake_batches" in statement:
                raise OSError("disk gone between the manifest and the record")
            return cursor.execute(statement, *args)

    lake._cursor = FailingRecord()
    rows = pa.Table.from_batches(_filled_buffer(3).drain())
    with pytest.raises(OSError):
        lake.append("decisions", rows)
    lake._cursor = cursor
    assert read_manifest(lake.dir).files == [] and _count(store) == 0
    assert not list((lake.dir / "decisions").rglob("part-*.parquet"))
    assert lake.append("decisions", rows) == 3 and _count(store) == 3
    lake.close()


def test_a_paced_write_is_one_file_of_small_row_groups_with_every_row(store):
    lake = Lake(store)
    rows = pa.Table.from_batches(_filled_buffer(5).drain())
    assert lake.append("decisions", rows, Pacing(row_group_rows=2, pause_seconds=0.0)) == 5
    (lake_file,) = lake.manifest.files
    parquet = pq.ParquetFile(lake.dir / lake_file.path)
    assert [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)] == [2, 2, 1]
    assert parquet.read().to_pylist() == rows.to_pylist() and _count(store) == 5
    lake.close()


def _filled_buffer(calls: int) -> DecisionLogBuffer:
    buffer = DecisionLogBuffer()
    _append(buffer, calls)
    return buffer


def test_a_lake_refusing_writes_is_retried_after_an_interval_and_what_waits_is_bounded(store, monkeypatch):
    lake = Lake(store)
    attempts = []

    def refuse(table, rows, pacing=None):
        attempts.append(rows.num_rows)
        raise OSError("disk full")

    monkeypatch.setattr(lake, "append", refuse)
    monkeypatch.setattr(decision_log, "MAX_WAITING_ROWS", 12)
    buffer = DecisionLogBuffer(full_rows=5)
    writer = LakeDecisionLog(buffer, lake, interval_seconds=3600)
    _append(buffer, 10)
    deadline = time.monotonic() + 10
    while not attempts and time.monotonic() < deadline:
        time.sleep(0.02)
    assert attempts == [10]  # one attempt, with every waiting row
    for round_ in range(3):  # more rows, more "full" signals: no retry before the interval passes
        _append(buffer, 5, first=100 + 10 * round_)
        time.sleep(0.15)
    assert attempts == [10]
    waiting = writer._rows
    assert waiting <= 12 and waiting + writer.dropped_rows == 25  # the oldest went, past the bound
    monkeypatch.undo()  # the lake takes writes again: the rows still waiting are written
    writer.close()
    assert _count(store) == waiting
    lake.close()
