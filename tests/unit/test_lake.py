"""The Parquet lake: flushes move rows exactly once, crashes at any step lose and double nothing."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from lotty.store import Store
from lotty.store.lake import MANIFEST, Lake, read_manifest
from lotty.store.writer import FactWriter

DAY = 86_400_000_000


def enrolment(i: int, day: int = 0) -> tuple:
    return ("exp", 1, f"u-{i}", "red", 1_763_683_200_000_000 + day * DAY + i, f"d-{i}")


def write(store: Store, tmp_path, rows: list[tuple]) -> None:
    writer = FactWriter(store, tmp_path / "journal")
    writer.submit({"enrolments": rows}).result(timeout=10)
    writer.close()


def count(store: Store, relation: str = "enrolments") -> int:
    with store.read() as tx:
        return tx._cursor.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]


def test_flush_moves_rows_to_dated_parquet_and_the_view_is_unchanged(store, tmp_path):
    write(store, tmp_path, [enrolment(i, day=i % 2) for i in range(10)])
    lake = Lake(store)
    assert lake.flush() == {"enrolments": 10, "decisions": 0, "events": 0}
    assert count(store, "enrolments_hot") == 0
    assert count(store) == 10
    files = [f for f in read_manifest(lake.dir).files if f.table == "enrolments"]
    assert sorted(f.date for f in files) == ["2025-11-21", "2025-11-22"]
    assert sum(pq.read_table(lake.dir / f.path).num_rows for f in files) == 10
    assert lake.flush() == {"enrolments": 0, "decisions": 0, "events": 0}
    lake.close()


def test_a_crash_before_the_commit_keeps_the_rows_hot_and_drops_the_files(store, tmp_path, monkeypatch):
    write(store, tmp_path, [enrolment(i) for i in range(5)])
    lake = Lake(store)
    original = lake._store.exclusive

    def crash():
        raise RuntimeError("power cut between the manifest write and the commit")

    monkeypatch.setattr(lake._store, "exclusive", crash)
    with pytest.raises(RuntimeError):
        lake.flush()
    monkeypatch.setattr(lake._store, "exclusive", original)
    assert count(store, "enrolments_hot") == 5 and count(store) == 5
    assert read_manifest(lake.dir).files == []
    assert not list((lake.dir / "enrolments").rglob("*.parquet"))
    assert lake.flush()["enrolments"] == 5 and count(store) == 5
    lake.close()


def test_a_manifest_entry_whose_batch_never_committed_is_dropped_at_start(store, tmp_path):
    write(store, tmp_path, [enrolment(i) for i in range(3)])
    lake = Lake(store)
    lake.flush()
    manifest = read_manifest(lake.dir)
    ghost = manifest.files[0]
    # As if a flush had listed a file and died before its commit: rows hot, file listed.
    (lake.dir / "enrolments/date=2025-11-21/part-9999999999.parquet").write_bytes(
        (lake.dir / ghost.path).read_bytes()
    )
    ghost_entry = type(ghost)(
        "enrolments",
        "enrolments/date=2025-11-21/part-9999999999.parquet",
        ghost.date,
        [9_999_999_999],
        ghost.rows,
    )
    manifest.files.append(ghost_entry)
    manifest.save(lake.dir / MANIFEST)
    (lake.dir / "enrolments/date=2025-11-21/orphan.parquet").write_bytes(b"never listed")
    lake.close()
    reopened = Lake(store)
    assert count(store) == 3
    assert [f.path for f in reopened.manifest.files] == [ghost.path]
    assert not (lake.dir / "enrolments/date=2025-11-21/orphan.parquet").exists()
    reopened.close()


def test_compaction_merges_a_partition_and_vacuum_waits_for_the_grace_period(store, tmp_path):
    lake = Lake(store)
    for round_ in range(3):
        write(store, tmp_path, [enrolment(10 * round_ + i) for i in range(4)])
        lake.flush()
    assert len(lake.manifest.files) == 3
    assert lake.compact() == 3
    assert len(lake.manifest.files) == 1 and lake.manifest.files[0].batches == [1, 2, 3]
    assert count(store) == 12
    assert lake.vacuum(grace_seconds=600) == 0
    retired = [lake.dir / r["path"] for r in lake.manifest.retired]
    assert all(p.exists() for p in retired)
    assert lake.vacuum(now=lake.manifest.retired[0]["at"] + 601) == 3
    assert not any(p.exists() for p in retired)
    assert count(store) == 12
    lake.close()


def test_a_restart_reads_the_lake(tmp_path):
    store = Store(tmp_path / "lotty.duckdb")
    store.migrate()
    write(store, tmp_path, [enrolment(i) for i in range(7)])
    Lake(store).flush()
    store.close()
    again = Store(tmp_path / "lotty.duckdb")
    again.migrate()
    lake = Lake(again)
    assert count(again) == 7
    lake.close()
    again.close()


def event(event_id: str, received_day: int, properties: str, event_type: str = "exposure") -> tuple:
    """Every copy has the same event time, so all of them land in one date partition."""
    ts = 1_763_683_200_000_000 + DAY // 2
    return (event_id, event_type, "d-1", "u-1", "f", "exp", 1, "red", ts, ts + received_day * DAY, properties)


def copies(store: Store) -> list[tuple]:
    with store.read() as tx:
        return tx._cursor.execute("SELECT event_id, properties FROM events ORDER BY event_id").fetchall()


def test_a_duplicate_id_keeps_its_first_accepted_copy_across_hot_lake_and_compaction(store, tmp_path):
    """An id resent after the 7-day ingest index forgot it is stored twice: the events view keeps
    the copy received first wherever the copies live (hot, lake, one compacted file)."""
    writer = FactWriter(store, tmp_path / "journal")
    writer.submit({"events": [event("a", 0, '{"copy": 1}'), event("b", 0, '{"copy": 1}')]}).result(10)
    writer.flush()
    lake = Lake(store)
    lake.flush()
    # a later copy of a (hot while its original is in the lake); b's earlier-received copy arrives
    # late (a clock set back): by received_at it is b's first accepted copy
    writer.submit({"events": [event("a", 9, '{"copy": 2}'), event("b", -1, '{"copy": 0}')]}).result(10)
    writer.flush()
    first = [("a", '{"copy": 1}'), ("b", '{"copy": 0}')]
    assert copies(store) == first
    lake.flush()  # both copies of each id in the lake, in two files of one partition
    assert copies(store) == first
    writer.submit({"events": [event("a", 20, '{"copy": 3}', "purchase")]}).result(10)
    writer.close()
    lake.flush()
    assert lake.compact() == 3  # the partition's three files, now one
    assert copies(store) == first
    with store.read() as tx:
        assert tx._cursor.execute("SELECT count(*) FROM stored_events").fetchone() == (5,)
        assert tx._cursor.execute("SELECT count(*) FROM exposures").fetchone() == (2,)


def test_the_optimizer_sees_the_lake_rows(store, tmp_path):
    # DuckDB estimates a file list's rows from its first file; with the empty schema file first,
    # every lake read looked empty and joins built their hash tables on the whole lake.
    write(store, tmp_path, [enrolment(i) for i in range(50)])
    lake = Lake(store)
    lake.flush()
    files = store.lake_files("enrolments")
    assert len(files) == 2 and files[-1].endswith("_schemas/enrolments.parquet")
    with store.read() as tx:
        plan = tx._cursor.execute("EXPLAIN SELECT * FROM enrolments").fetchall()[0][1]
    assert "~50 rows" in plan
    lake.close()
