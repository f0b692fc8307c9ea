"""`lotty bench ingest`: events/s through POST /api/v1/events, beside a raw Arrow → DuckDB insert.

(a) 1000-event batches through `lotty serve` pinned to CPU 0 (wrk pinned to CPU 1, 4 connections,
    every event id unique), each answered only after its rows are durable in the journal;
(b) the same rows built as Arrow tables and inserted into DuckDB directly, one commit per batch
    (the work of storing them, without HTTP, validation, dedup or durability), in the same run;
(c) the dedup index's bytes per event id over 1M ids.

Beside (a), the server's CPU time per batch (all its threads, from /proc) and the rate it implies
for a core of its own: on a shared, loaded machine the server gets only part of CPU 0, so
events/s alone mostly measures the neighbours.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from lotty.auth import SYSTEM
from lotty.bench.load import free_port, serve, wait_ready, wrk
from lotty.bench.report import median, table
from lotty.catalog import event_types, flags, users
from lotty.events.dedup import measure_bytes_per_id
from lotty.instance import Lotty
from lotty.model import EventTypeSpec, FlagSpec, PropertySpec, UserSpec
from lotty.settings import Settings
from lotty.store import Store

BATCH = 1000
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
local template = io.open("%(template)s"):read("*a")
local counter = %(start)d
request = function()
  counter = counter + 1
  local body = template:gsub("PFX", tostring(counter))
  return wrk.format(nil, nil, nil, body)
end
"""


def _scenario(lotty: Lotty) -> tuple[str, list[tuple[str, str]]]:
    now = lotty.clock()
    flags.create_flag(lotty.store, SYSTEM, FlagSpec(key="bench_flag", type="string", default="x"), now)
    event_types.create_event_type(
        lotty.store,
        SYSTEM,
        EventTypeSpec(
            key="purchase",
            requires_exposure=False,
            properties={
                "amount": PropertySpec(type="number", required=True),
                "currency": PropertySpec(type="string"),
            },
        ),
        now,
    )
    sdk = users.create_user(lotty.store, SYSTEM, UserSpec(name="bench sdk", role="sdk"), now)
    subjects = [(f"s-{i}", lotty.decide(f"s-{i}", {}, ["bench_flag"])[0].decision_id) for i in range(100)]
    return sdk.api_key, subjects


def _events(subjects: list[tuple[str, str]], prefix: str) -> list[dict[str, Any]]:
    stamp = datetime.now(UTC).isoformat()
    return [
        {
            "event_id": f"{prefix}-{i}",
            "event_type": "purchase",
            "decision_id": subjects[i % 100][1],
            "subject_id": subjects[i % 100][0],
            "timestamp": stamp,
            "properties": {"amount": 10.0 + i % 7, "currency": "EUR"},
        }
        for i in range(BATCH)
    ]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process and all its threads so far (Linux), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def bench_http(
    data_dir: Path, key: str, subjects: list[tuple[str, str]], *, runs: int, seconds: int
) -> tuple[list[float], list[float]]:
    """Events/s of each run, and the server's CPU milliseconds per 1000-event batch (if known)."""
    template = data_dir / "events.json"
    template.write_text(json.dumps({"events": _events(subjects, "PFX")}))
    script = data_dir / "events.lua"
    rates, cpu_per_batch = [], []
    for run in range(runs):
        script.write_text(LUA % {"key": key, "template": template, "start": run * 10_000_000})
        port = free_port()
        process = serve("lotty", port, data_dir)
        try:
            wait_ready(port, process)
            before = cpu_seconds(process.pid)
            result = wrk(port, "/api/v1/events", script, seconds, connections=4)
            after = cpu_seconds(process.pid)
            rates.append(result["rps"] * BATCH)
            if before is not None and after is not None and result["rps"]:
                cpu_per_batch.append((after - before) * 1000 / (result["rps"] * seconds))
        finally:
            process.terminate()
            process.wait(timeout=60)
    return rates, cpu_per_batch


def bench_raw(subjects: list[tuple[str, str]], batches: int) -> float:
    """Arrow tables of the same rows inserted into a DuckDB table, one commit per batch."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "raw.duckdb")
        store.migrate()
        cursor = store.cursor()
        received = int(time.time() * 1_000_000)
        tables = []
        for b in range(batches):
            events = _events(subjects, f"raw{b}")
            tables.append(
                pa.table(
                    {
                        "event_id": [e["event_id"] for e in events],
                        "event_type": [e["event_type"] for e in events],
                        "decision_id": [e["decision_id"] for e in events],
                        "subject_id": [e["subject_id"] for e in events],
                        "flag": ["bench_flag"] * BATCH,
                        "experiment": pa.nulls(BATCH, pa.string()),
                        "experiment_version": pa.nulls(BATCH, pa.int32()),
                        "variant": pa.nulls(BATCH, pa.string()),
                        "ts": pa.array([received] * BATCH, pa.timestamp("us")),
                        "received_at": pa.array([received] * BATCH, pa.timestamp("us")),
                        "properties": [json.dumps(e["properties"]) for e in events],
                    }
                )
            )
        start = time.perf_counter()
        for arrow in tables:
            cursor.execute("BEGIN TRANSACTION")
            cursor.register("events_batch", arrow)
            cursor.execute("INSERT INTO events_hot BY NAME SELECT * FROM events_batch")
            cursor.unregister("events_batch")
            cursor.execute("COMMIT")
        elapsed = time.perf_counter() - start
        cursor.close()
        store.close()
    return batches * BATCH / elapsed


def main(args: Any) -> int:
    with tempfile.TemporaryDirectory(prefix="lotty-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        lotty = Lotty(Settings.from_env({}, data_dir=data_dir))
        key, subjects = _scenario(lotty)
        lotty.close()
        print(f"lotty bench ingest: medians of {args.runs} runs; ratio = lotty / baseline\n", flush=True)
        raw = [bench_raw(subjects, 200) for _ in range(args.runs)]
        if shutil.which("wrk"):
            http, cpu = bench_http(data_dir, key, subjects, runs=args.runs, seconds=args.seconds)
            rows = [
                (
                    "events/s, 1000-event batches, durable",
                    f"{median(http):,.0f}",
                    f"{median(raw):,.0f}",
                    f"{median(http) / median(raw):.2f}x",
                )
            ]
            if cpu:
                rows.append(
                    ("server CPU ms per 1000-event batch (all threads)", f"{median(cpu):.2f}", "", "")
                )
                rows.append(
                    (
                        "events/s per second of server CPU (a core of its own)",
                        f"{1_000_000 / median(cpu):,.0f}",
                        f"{median(raw):,.0f}",
                        f"{1_000_000 / median(cpu) / median(raw):.2f}x",
                    )
                )
            print(
                table(
                    "(a) HTTP POST /api/v1/events, server on 1 core, 4 connections, beside (b) raw "
                    "Arrow → DuckDB inserts of the same rows",
                    rows,
                ),
                "\n",
                flush=True,
            )
        else:
            print("(a) skipped: wrk is not installed (make bench installs it)\n")
        memory = measure_bytes_per_id(args.memory_subjects)
        print(
            table(
                "(c) dedup index",
                [
                    (
                        "bytes per event id",
                        f"{memory['bytes_per_id']:.1f}",
                        "8 (the hash alone)",
                        f"{memory['bytes_per_id'] / 8:.2f}x",
                    )
                ],
            )
        )
    return 0
