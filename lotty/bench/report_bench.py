"""`lotty bench report`: the full report beside one hand-written query over the same data.

For each size (`--sizes`, default 10M,50M events) a temp data dir gets one running experiment with a
metric of every kind, a guardrail metric, and N generated events inserted straight into the hot
table as Arrow (no HTTP, no tokens). Then, in a fresh process, interleaved: the full report
(`lotty.reports.read_report`: every metric, SRM, the hourly series) and the baseline
`sql/bench/variant_counts_and_sums.sql` (per-variant event counts and property sums over the same
`attributed_events`), one warm-up each, then medians of `--runs`. Peak memory is that process's
maximum RSS; `attributed_events count` shows what reading the views alone costs.

Events: 7 days; N/20 subjects, half control, half treatment; about 3 sessions per subject, each
opening with an exposure, the rest of a subject's events falling within 30 minutes of one of its
session starts: 60 % page views, 10 % purchases (amount, lognormal; treatment +3 %), 30 % API
calls (latency_ms, lognormal).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lotty.auth import Principal
from lotty.bench.report import median, table
from lotty.catalog import event_types, experiments, flags, guardrails, lifecycle, metrics
from lotty.model import EventTypeSpec, ExperimentSpec, FlagSpec, GuardrailSpec, MetricSpec, Variant
from lotty.store import Store, sql_text
from lotty.store.facts import FACT_SCHEMAS

START = datetime(2026, 11, 2, tzinfo=UTC)
DAYS = 7
CHUNK = 5_000_000
OWNER = Principal(user_id="bench-owner", role="admin")
APPROVER = Principal(user_id="bench-approver", role="admin")
METRICS = [
    MetricSpec(key="page_views", kind="count", event_type="page_view"),
    MetricSpec(key="buyers", kind="conversion", event_type="purchase"),
    MetricSpec(key="purchases_per_view", kind="ratio", numerator="purchase", denominator="page_view"),
    MetricSpec(key="revenue", kind="sum", event_type="purchase", property="amount"),
    MetricSpec(key="order_value", kind="average", event_type="purchase", property="amount"),
    MetricSpec(
        key="latency_p95", kind="percentile", event_type="api_call", property="latency_ms", percentile=0.95
    ),
    MetricSpec(key="api_calls", kind="count", event_type="api_call", higher_is_better=False),
]


def parse_size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


EventTypeRow = tuple[str, bool, dict[str, Any]]  # key, requires_exposure, properties
EVENT_TYPES: tuple[EventTypeRow, ...] = (
    ("page_view", False, {}),
    ("purchase", True, {"amount": {"type": "number"}}),
    ("api_call", False, {"latency_ms": {"type": "number"}}),
)


def define_events_and_metrics(
    store: Store, types: Iterable[EventTypeRow], defined: Iterable[MetricSpec], now: datetime
) -> None:
    """The generated events' types and the metrics over them, through the catalog services."""
    for key, requires, props in types:
        body = {"key": key, "requires_exposure": requires, "properties": props}
        event_types.create_event_type(store, OWNER, msgspec.convert(body, EventTypeSpec), now)
    for metric in defined:
        metrics.create_metric(store, OWNER, metric, now)


def define_catalog(store: Store) -> None:
    now = START - timedelta(hours=1)
    define_events_and_metrics(store, EVENT_TYPES, METRICS, now)
    flags.create_flag(store, OWNER, FlagSpec(key="checkout", type="string", default="a"), now)
    variants = [
        Variant(name="control", value="a", weight=50, control=True),
        Variant(name="treatment", value="b", weight=50),
    ]
    experiment = ExperimentSpec(
        key="bench", flag="checkout", traffic=100, variants=variants, metrics=[m.key for m in METRICS[:-1]]
    )
    experiments.create_experiment(store, OWNER, experiment, now)
    rule = GuardrailSpec(metric="api_calls", operator=">", threshold=1e9, window_minutes=60, action="pause")
    guardrails.create_guardrail(store, OWNER, "bench", rule, now)
    for actor, action in ((OWNER, "submit"), (APPROVER, "approve"), (OWNER, "start")):
        lifecycle.transition(store, actor, "bench", action, now)


def _strings(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(prefix), pc.cast(pa.array(numbers), pa.string()), "")


def _labels(labels: list[str], indices: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(labels)).cast(
        pa.string()
    )


def event_chunks(total: int, seed: int = 7) -> Any:
    """Arrow tables of generated events (FACT_SCHEMAS["events"]), at most CHUNK rows each."""
    rng = np.random.default_rng(seed)
    subjects = max(total // 20, 100)
    sessions = min(subjects * 3, total // 2)
    session_subject = np.concatenate([np.arange(subjects), rng.integers(0, subjects, sessions - subjects)])
    start_us = int(START.timestamp() * 1_000_000)
    session_start = start_us + rng.integers(0, DAYS * 86_400_000_000, sessions)
    produced = 0
    while produced < total:
        rows = min(CHUNK, total - produced)
        exposures = max(0, min(rows, sessions - produced))  # the first `sessions` events are exposures
        session = np.empty(rows, dtype=np.int64)
        session[:exposures] = np.arange(produced, produced + exposures)
        session[exposures:] = rng.integers(0, sessions, rows - exposures)
        offset = np.zeros(rows, dtype=np.int64)
        offset[exposures:] = rng.integers(1, 1_800_000_000, rows - exposures)
        ts = session_start[session] + offset
        subject = session_subject[session]
        kind = np.zeros(rows, dtype=np.int32)  # 0 exposure, 1 page_view, 2 purchase, 3 api_call
        kind[exposures:] = rng.choice([1, 2, 3], rows - exposures, p=[0.6, 0.1, 0.3])
        treated = subject % 2
        amount = np.round(rng.lognormal(3.0, 1.0, rows) * (1 + 0.03 * treated), 2)
        latency = np.round(rng.lognormal(4.0, 0.5, rows), 1)
        amount_json = pc.binary_join_element_wise(
            '{"amount": ', pc.cast(pa.array(amount), pa.string()), "}", ""
        )
        latency_json = pc.binary_join_element_wise(
            '{"latency_ms": ', pc.cast(pa.array(latency), pa.string()), "}", ""
        )
        properties = pc.if_else(
            pa.array(kind == 2), amount_json, pc.if_else(pa.array(kind == 3), latency_json, pa.scalar("{}"))
        )
        zeros = np.zeros(rows, dtype=np.int32)
        yield pa.table(
            [
                _strings("e", np.arange(produced, produced + rows)),
                _labels(["exposure", "page_view", "purchase", "api_call"], kind),
                _strings("d", subject),
                _strings("u", subject),
                _labels(["checkout"], zeros),
                _labels(["bench"], zeros),
                pa.array(zeros + 1),
                _labels(["control", "treatment"], treated),
                pa.array(ts.astype("datetime64[us]")),
                pa.array(ts.astype("datetime64[us]")),
                properties,
            ],
            schema=FACT_SCHEMAS["events"],
        )
        produced += rows


def generate(data_dir: Path, total: int) -> None:
    store = Store(data_dir / "lotty.duckdb")
    store.migrate()
    define_catalog(store)
    append_events(store, event_chunks(total))
    store.close()


def append_events(store: Store, chunks: Iterable[pa.Table]) -> None:
    """Generated events straight into `events_hot`, one Arrow table at a time."""
    cursor = store.cursor()
    for chunk in chunks:
        cursor.register("events_batch", chunk)
        cursor.execute(sql_text("facts/append_events"))
        cursor.unregister("events_batch")
    cursor.close()


def flush(data_dir: Path) -> None:
    """Move the generated events from `events_hot` into the lake, as the server's flush job does."""
    from lotty.store.lake import Lake

    store = Store(data_dir / "lotty.duckdb")
    lake = Lake(store)
    lake.flush()
    lake.close()
    store.close()


def measure(data_dir: Path, runs: int) -> dict[str, Any]:
    from lotty.reports import read_report
    from lotty.store.lake import Lake

    store = Store(data_dir / "lotty.duckdb")
    lake = Lake(store)  # the views read whatever the lake's manifest lists (nothing, before a flush)
    window = {
        "from_ts": START.replace(tzinfo=None),
        "to_ts": (START + timedelta(days=DAYS)).replace(tzinfo=None),
    }
    end = START + timedelta(days=DAYS)

    def report() -> Any:
        return read_report(store, "bench", START, end, "hour", end)[0]

    def baseline() -> Any:
        with store.read() as tx:
            return tx.fetch_all(
                "bench/variant_counts_and_sums", experiment="bench", property="amount", **window
            )

    def views() -> Any:
        with store.read() as tx:
            return tx.fetch_value("bench/attributed_count", experiment="bench", **window)

    timings: dict[str, list[float]] = {"report": [], "baseline": [], "views": []}
    for attempt in range(runs + 1):  # the first round warms the caches and is not counted
        for name, run in (("report", report), ("baseline", baseline), ("views", views)):
            began = time.perf_counter()
            result = run()
            if attempt:
                timings[name].append(time.perf_counter() - began)
            if name == "report":
                last = result
    lake.close()
    store.close()
    return {
        "report": median(timings["report"]),
        "baseline": median(timings["baseline"]),
        "views": median(timings["views"]),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "subjects": sum(v.subjects for v in last.variants),
        "series_points": len(last.series),
    }


def _child(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lotty.bench.report_bench", *argv], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return done.stdout


PLACEMENTS = {
    "hot": "in events_hot (the DuckDB table the writer fills)",
    "lake": "in the lake (after the flush job, where the server keeps them)",
}


def main(args: Any) -> int:
    sizes = [parse_size(s) for s in str(args.sizes).split(",") if s.strip()]
    placements = [p.strip() for p in str(args.placement).split(",") if p.strip()]
    if not placements or not set(placements) <= set(PLACEMENTS):
        print(
            f"--placement: expected some of {', '.join(PLACEMENTS)}, got {args.placement!r}", file=sys.stderr
        )
        return 2
    print(f"lotty bench report: medians of {args.runs} runs after one warm-up; ratio = report / baseline\n")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="lotty-bench-report-") as tmp:
            data_dir = Path(tmp) / "data"
            began = time.perf_counter()
            _child("generate", str(data_dir), str(size))
            generated = time.perf_counter() - began
            for placement in PLACEMENTS:  # hot first: the flush empties events_hot
                if placement == "lake":
                    _child("flush", str(data_dir), "0")
                if placement in placements:
                    figures = json.loads(_child("measure", str(data_dir), str(args.runs)))
                    print(_figures_table(size, placement, generated, figures), "\n", flush=True)
    return 0


def _figures_table(size: int, placement: str, generated: float, figures: dict[str, Any]) -> str:
    ratio = figures["report"] / figures["baseline"]
    rows = [
        (
            "full report (7 metrics, SRM, hourly series)",
            f"{figures['report']:.2f} s",
            f"{figures['baseline']:.2f} s",
            f"{ratio:.2f}x",
        ),
        ("attributed_events count (the views alone)", f"{figures['views']:.2f} s", "", ""),
        ("peak RSS of the measuring process", f"{figures['peak_rss_bytes'] / 2**30:.2f} GiB", "", ""),
    ]
    title = (
        f"{size:,} events {PLACEMENTS[placement]}, {figures['subjects']:,} exposed subjects, "
        f"{figures['series_points']} series points (generated in {generated:.0f} s); "
        "baseline = per-variant counts and sums, same views"
    )
    return table(title, rows)


if __name__ == "__main__":
    command, directory, number = sys.argv[1:4]
    if command == "generate":
        generate(Path(directory), int(number))
    elif command == "flush":
        flush(Path(directory))
    else:
        print(json.dumps(measure(Path(directory), int(number))))
