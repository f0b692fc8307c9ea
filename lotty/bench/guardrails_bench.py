"""`lotty bench guardrails`: one guardrail pass over every running experiment beside one experiment's.

A temp data dir gets `--experiments` (100) running experiments, each on its own flag with three
rules (an error-rate conversion, a latency average, a p95 latency), all created through the catalog
services and started through the lifecycle, and `--events` (10M) events from the report bench's
generator (`report_bench.event_chunks`: 7 days, sessions opening with an exposure), spread over the
experiments by subject, inserted straight into the hot table as Arrow. A share of the API calls
become `api_error` events, three times as often in the treatment of every tenth experiment, so some
rules breach and the decision has work to do.

Then, in a fresh process, interleaved: the pass the scheduler runs (`read_observations`, the one
statement over every running experiment's rules, then `evaluate_guardrails`) at the end of the
generated week, and the baseline, the same pass for one experiment (`experiment=`) over the same
events; one warm-up each, then medians of `--runs`. Peak memory is that process's maximum RSS.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lotty.bench.report import median, table
from lotty.bench.report_bench import (
    APPROVER,
    DAYS,
    EVENT_TYPES,
    OWNER,
    START,
    _labels,
    append_events,
    define_events_and_metrics,
    event_chunks,
    parse_size,
)
from lotty.catalog import experiments, flags, guardrails, lifecycle
from lotty.guardrails import evaluate_guardrails, read_observations
from lotty.model import ExperimentSpec, FlagSpec, GuardrailSpec, MetricSpec, Variant
from lotty.store import Store

END = START + timedelta(days=DAYS)  # the pass runs at the end of the generated week
TARGET_RATIO = 3.0
ERROR_SHARE = 0.03  # of API calls; tripled in the treatment of every tenth experiment
METRICS = [
    MetricSpec(key="error_rate", kind="conversion", event_type="api_error", higher_is_better=False),
    MetricSpec(
        key="latency", kind="average", event_type="api_call", property="latency_ms", higher_is_better=False
    ),
    MetricSpec(
        key="latency_p95",
        kind="percentile",
        event_type="api_call",
        property="latency_ms",
        percentile=0.95,
        higher_is_better=False,
    ),
]
RULES = [
    GuardrailSpec(metric="error_rate", operator=">", threshold=0.1, window_minutes=60, action="rollback"),
    GuardrailSpec(metric="latency", operator=">", threshold=500, window_minutes=60, action="pause"),
    GuardrailSpec(metric="latency_p95", operator=">=", threshold=2000, window_minutes=30, action="pause"),
]


def experiment_key(index: int) -> str:
    return f"guard-{index:03d}"


def define_catalog(store: Store, experiment_count: int) -> None:
    now = START - timedelta(hours=1)
    api_error = ("api_error", False, {"latency_ms": {"type": "number"}})
    define_events_and_metrics(store, (*EVENT_TYPES, api_error), METRICS, now)
    variants = [
        Variant(name="control", value="a", weight=50, control=True),
        Variant(name="treatment", value="b", weight=50),
    ]
    for index in range(experiment_count):
        key = experiment_key(index)
        flags.create_flag(store, OWNER, FlagSpec(key=f"flag-{index:03d}", type="string", default="a"), now)
        spec = ExperimentSpec(key=key, flag=f"flag-{index:03d}", variants=variants)
        experiments.create_experiment(store, OWNER, spec, now)
        for rule in RULES:
            guardrails.create_guardrail(store, OWNER, key, rule, now)
        for actor, action in ((OWNER, "submit"), (APPROVER, "approve"), (OWNER, "start")):
            lifecycle.transition(store, actor, key, action, now)


def spread_chunks(total: int, experiment_count: int, seed: int = 11) -> Iterator[pa.Table]:
    """The report bench's events, each subject moved to experiment `n % count`, variant by `n // count`,
    and a share of its API calls turned into errors."""
    rng = np.random.default_rng(seed)
    for chunk in event_chunks(total):
        subject = pc.cast(pc.utf8_slice_codeunits(chunk["subject_id"], 1), pa.int64()).to_numpy()
        index = subject % experiment_count
        treated = (subject // experiment_count) % 2
        error_share = np.where((index % 10 == 0) & (treated == 1), 3 * ERROR_SHARE, ERROR_SHARE)
        api_call = pc.equal(chunk["event_type"], "api_call").to_numpy(zero_copy_only=False)
        error = api_call & (rng.random(len(subject)) < error_share)
        names = [experiment_key(i) for i in range(experiment_count)]
        columns = {
            "event_type": pc.if_else(pa.array(error), pa.scalar("api_error"), chunk["event_type"]),
            "flag": _labels([f"flag-{i:03d}" for i in range(experiment_count)], index),
            "experiment": _labels(names, index),
            "variant": _labels(["control", "treatment"], treated),
        }
        for name, column in columns.items():
            chunk = chunk.set_column(chunk.schema.get_field_index(name), name, column)
        yield chunk


def generate(data_dir: Path, total: int, experiment_count: int) -> None:
    store = Store(data_dir / "lotty.duckdb")
    store.migrate()
    define_catalog(store, experiment_count)
    append_events(store, spread_chunks(total, experiment_count))
    store.close()


def measure(data_dir: Path, runs: int) -> dict[str, Any]:
    store = Store(data_dir / "lotty.duckdb")

    def every_experiment() -> tuple[int, int]:
        observations = read_observations(store, END)
        return len(observations), len(evaluate_guardrails(observations, END))

    def one_experiment() -> tuple[int, int]:
        observations = read_observations(store, END, experiment_key(0))
        return len(observations), len(evaluate_guardrails(observations, END))

    timings: dict[str, list[float]] = {"every": [], "one": []}
    counts: dict[str, tuple[int, int]] = {}
    for attempt in range(runs + 1):  # the first round warms the caches and is not counted
        for name, run in (("every", every_experiment), ("one", one_experiment)):
            began = time.perf_counter()
            counts[name] = run()
            if attempt:
                timings[name].append(time.perf_counter() - began)
    store.close()
    return {
        "every": median(timings["every"]),
        "one": median(timings["one"]),
        "every_rows": counts["every"][0],
        "every_actions": counts["every"][1],
        "one_rows": counts["one"][0],
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _child(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lotty.bench.guardrails_bench", *argv], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return done.stdout


def report_lines(events: int, experiment_count: int, figures: dict[str, Any], generated: float) -> str:
    ratio = figures["every"] / figures["one"]
    verdict = "met" if ratio <= TARGET_RATIO else "missed"
    rows = [
        (
            f"guardrail pass, {experiment_count} experiments x {len(RULES)} rules",
            f"{figures['every']:.2f} s",
            f"{figures['one']:.2f} s",
            f"{ratio:.2f}x",
        ),
        (
            "rule x variant values / actions decided",
            f"{figures['every_rows']} / {figures['every_actions']}",
            f"{figures['one_rows']}",
            "",
        ),
        ("target", "", "", f"<= {TARGET_RATIO:.0f}x ({verdict})"),
        ("peak RSS of the measuring process", f"{figures['peak_rss_bytes'] / 2**30:.2f} GiB", "", ""),
    ]
    title = (
        f"{events:,} events over {experiment_count} running experiments (generated in {generated:.0f} s); "
        "baseline = the same pass for one experiment over the same events"
    )
    return table(title, rows)


def main(args: Any) -> int:
    events = parse_size(str(args.events))
    print(
        f"lotty bench guardrails: medians of {args.runs} runs after one warm-up; "
        "ratio = every experiment / one experiment\n"
    )
    with tempfile.TemporaryDirectory(prefix="lotty-bench-guardrails-") as tmp:
        data_dir = Path(tmp) / "data"
        began = time.perf_counter()
        _child("generate", str(data_dir), str(events), str(args.experiments))
        generated = time.perf_counter() - began
        figures = json.loads(_child("measure", str(data_dir), str(args.runs)))
    print(report_lines(events, args.experiments, figures, generated), "\n", flush=True)
    return 0


if __name__ == "__main__":
    command, directory, *numbers = sys.argv[1:]
    if command == "generate":
        generate(Path(directory), int(numbers[0]), int(numbers[1]))
    else:
        print(json.dumps(measure(Path(directory), int(numbers[0]))))
