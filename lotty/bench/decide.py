"""`lotty bench decide`: HTTP throughput and latency, in-process evaluations, enrolment memory.

(a) POST /api/v1/decide with 5 flags (targeting + running experiment each), subjects drawn at
    random from a million, against a bare Litestar JSON route served the same way; both servers
    pinned to CPU 0, wrk (8 connections) pinned to CPU 1; medians of `--runs` alternating runs.
(b) `Lotty.decide` in-process beside the GrowthBook SDK evaluating the same feature.
(c) bytes per enrolment of the in-memory enrolment state over 1M subjects (tracemalloc).
`--parts` picks which of them run (default a,b,c).
"""

from __future__ import annotations

import gc
import shutil
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lotty.auth import SYSTEM, Principal
from lotty.bench.load import free_port, serve, wait_ready, wrk
from lotty.bench.report import median, table
from lotty.catalog import experiments, flags, lifecycle, users
from lotty.enrolment import Enrolment, EnrolmentState, subject_key
from lotty.errors import LottyError
from lotty.instance import Lotty
from lotty.model import ExperimentSpec, FlagSpec, UserSpec, Variant
from lotty.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TARGETING = 'country IN ["RU", "KZ", "US"] AND app_version >= "1.6.0"'
FLAGS = [f"flag_{i}" for i in range(5)]
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
math.randomseed(%(seed)d)
request = function()
  local body = string.format('{"subject_id":"%(prefix)s-%%d",'
    .. '"attributes":{"country":"RU","app_version":"1.7.2"},'
    .. '"flags":["flag_0","flag_1","flag_2","flag_3","flag_4"]}', math.random(1, %(pool)d))
  return wrk.format(nil, nil, nil, body)
end
"""


def build_scenario(lotty: Lotty) -> str:
    """Five string flags, each with a running 50/50 experiment behind targeting; returns an sdk key."""
    now = lotty.clock()
    approver = users.create_user(lotty.store, SYSTEM, UserSpec(name="bench approver", role="approver"), now)
    for i, flag in enumerate(FLAGS):
        flags.create_flag(lotty.store, SYSTEM, FlagSpec(key=flag, type="string", default="green"), now)
        experiments.create_experiment(
            lotty.store,
            SYSTEM,
            ExperimentSpec(
                key=f"exp_{i}",
                flag=flag,
                traffic=100,
                targeting=TARGETING,
                variants=[
                    Variant(name="control", value="green", weight=50, control=True),
                    Variant(name="red", value="red", weight=50),
                ],
            ),
            now,
        )
        lifecycle.transition(lotty.store, SYSTEM, f"exp_{i}", "submit", now)
        reviewer = Principal(approver.id, "approver")
        lifecycle.transition(lotty.store, reviewer, f"exp_{i}", "approve", now)
        lifecycle.transition(lotty.store, SYSTEM, f"exp_{i}", "start", now)
    sdk = users.create_user(lotty.store, SYSTEM, UserSpec(name="bench sdk", role="sdk"), now)
    return sdk.api_key


# -- (a) HTTP --------------------------------------------------------------------------------------
RETURNING_POOL = 10_000


def enrol_returning(lotty: Lotty) -> None:
    """Decide once for every subject of the returning pool, so load runs see them enrolled."""
    attributes = {"country": "RU", "app_version": "1.7.2"}
    with ThreadPoolExecutor(32) as pool:  # concurrent callers share group commits
        list(pool.map(lambda i: lotty.decide(f"r-{i}", attributes, FLAGS), range(1, RETURNING_POOL + 1)))


def bench_http(
    data_dir: Path, key: str, *, runs: int, seconds: int, connections: int, returning: bool
) -> list[tuple[str, str, str, str]]:
    script = data_dir / "decide.lua"
    prefix, pool = ("r", RETURNING_POOL) if returning else ("u", 1_000_000)
    results: dict[str, list[dict[str, float]]] = {"lotty": [], "bare": []}
    for run in range(runs):
        for kind in ("lotty", "bare"):
            script.write_text(LUA % {"key": key, "seed": 1000 + run, "prefix": prefix, "pool": pool})
            port = free_port()
            process = serve(kind, port, data_dir)
            try:
                wait_ready(port, process)
                wrk(port, "/api/v1/decide", script, 2, connections)  # warm-up
                results[kind].append(wrk(port, "/api/v1/decide", script, seconds, connections, process.pid))
            finally:
                process.terminate()
                process.wait(timeout=30)
    lotty_rps = median([r["rps"] for r in results["lotty"]])
    bare_rps = median([r["rps"] for r in results["bare"]])
    rows = [("req/s", f"{lotty_rps:,.0f}", f"{bare_rps:,.0f}", f"{lotty_rps / bare_rps:.2f}x")]
    for q in ("p50_ms", "p99_ms"):
        ours, base = median([r[q] for r in results["lotty"]]), median([r[q] for r in results["bare"]])
        rows.append((f"{q[:3]} latency ms", f"{ours:.2f}", f"{base:.2f}", f"{ours / base:.2f}x"))
    if all("cpu_us" in r for r in results["lotty"] + results["bare"]):
        # bare / lotty: the throughput ratio one core would give if nothing else ran on it
        ours, base = (
            median([r["cpu_us"] for r in results["lotty"]]),
            median([r["cpu_us"] for r in results["bare"]]),
        )
        rows.append(
            ("server CPU µs/request", f"{ours:.0f}", f"{base:.0f}", f"{base / ours:.2f}x (bare/lotty)")
        )
    return rows


IN_PROCESS_PASSES = 4


def _growthbook_eval(subjects: list[str]) -> float:
    from growthbook import GrowthBook

    features = {
        f: {
            "defaultValue": "green",
            "rules": [
                {
                    "key": f"exp_{i}",
                    "condition": {"country": {"$in": ["RU", "KZ", "US"]}, "app_version": {"$vgte": "1.6.0"}},
                    "coverage": 1.0,
                    "weights": [0.5, 0.5],
                    "variations": ["green", "red"],
                    "hashAttribute": "id",
                }
            ],
        }
        for i, f in enumerate(FLAGS)
    }
    start = time.perf_counter()
    for subject in subjects:
        gb = GrowthBook(
            attributes={"id": subject, "country": "RU", "app_version": "1.7.2"}, features=features
        )
        for flag in FLAGS:
            gb.eval_feature(flag)
        gb.destroy()
    return len(subjects) * len(FLAGS) / (time.perf_counter() - start)


def _lotty_eval(lotty: Lotty, subjects: list[str], passes: int = 1) -> float:
    attributes = {"country": "RU", "app_version": "1.7.2"}
    start = time.perf_counter()
    for _ in range(passes):
        for subject in subjects:
            lotty.decide(subject, attributes, FLAGS)
    return passes * len(subjects) * len(FLAGS) / (time.perf_counter() - start)


def bench_in_process(lotty: Lotty, *, runs: int, subjects: int) -> list[tuple[str, str, str, str]]:
    """Alternate lotty and GrowthBook run by run, so both see the same machine; median ratios."""
    enrolled = [f"s-{i}" for i in range(subjects)]
    for subject in enrolled:  # enrol them once: the steady state most decides see
        lotty.decide(subject, {"country": "RU", "app_version": "1.7.2"}, FLAGS)
    ours, peer, fresh = [], [], []
    for run in range(runs):
        # Several passes, so that Lotty is timed over a window as long as GrowthBook's (one pass
        # takes a few tens of ms, where a single scheduler hiccup moves the ratio by a whole unit).
        ours.append(_lotty_eval(lotty, enrolled, passes=IN_PROCESS_PASSES))
        peer.append(_growthbook_eval(enrolled))
        fresh.append(_lotty_eval(lotty, [f"n-{run}-{i}" for i in range(subjects // 5)]))
    ratio = median([o / p for o, p in zip(ours, peer, strict=True)])
    fresh_ratio = median([f / p for f, p in zip(fresh, peer, strict=True)])
    return [
        ("flag evals/s, enrolled subjects", f"{median(ours):,.0f}", f"{median(peer):,.0f}", f"{ratio:.2f}x"),
        (
            "flag evals/s, new subjects (durable)",
            f"{median(fresh):,.0f}",
            f"{median(peer):,.0f}",
            f"{fresh_ratio:.2f}x",
        ),
    ]


# -- (c) memory ------------------------------------------------------------------------------------
def _traced_bytes(build: Any) -> tuple[float, Any]:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, kept


def bench_memory(subjects: int) -> list[tuple[str, str, str, str]]:
    """Packed state vs the obvious representation, {subject id: {experiment key: (variant, time)}}."""
    ids = [f"user-{i}" for i in range(subjects)]
    keys = [subject_key(s) for s in ids]

    def packed() -> EnrolmentState:
        state = EnrolmentState()
        for i, key in enumerate(keys):
            state.add(key, Enrolment(i % 7, i % 2, 200_000_000 + i))
        return state

    def plain() -> dict[str, dict[str, tuple[str, datetime]]]:
        start = datetime(2026, 1, 1)
        return {
            s: {f"exp_{i % 7}": ("red" if i % 2 else "control", start + timedelta(seconds=i))}
            for i, s in enumerate(ids)
        }

    ours, _ = _traced_bytes(packed)
    theirs, _ = _traced_bytes(plain)
    return [
        (
            f"bytes per enrolment ({subjects:,} subjects)",
            f"{ours / subjects:.0f}",
            f"{theirs / subjects:.0f} (plain dicts)",
            f"{ours / theirs:.2f}x",
        )
    ]


def main(args: Any) -> int:
    parts = {part.strip() for part in args.parts.split(",")}
    if not parts <= {"a", "b", "c"} or not parts:
        raise LottyError(f"--parts takes a comma-separated choice of a, b and c, not {args.parts!r}")
    with tempfile.TemporaryDirectory(prefix="lotty-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        lotty = Lotty(Settings.from_env({}, data_dir=data_dir))
        key = build_scenario(lotty)
        print("lotty bench decide: medians of", args.runs, "runs; ratio = lotty / baseline\n", flush=True)
        if "b" in parts:
            rows = bench_in_process(lotty, runs=args.runs, subjects=args.subjects)
            title = f"(b) in-process, 5 flags per call, beside the GrowthBook SDK {_version('growthbook')}"
            print(table(title, rows), "\n", flush=True)
        if "a" in parts:
            enrol_returning(lotty)
        lotty.close()
        if "a" in parts and shutil.which("wrk"):
            for returning, label in (
                (True, f"returning subjects (pool of {RETURNING_POOL:,}, all enrolled)"),
                (False, "a new subject every request (each enrolment fsynced before the answer)"),
            ):
                rows = bench_http(
                    data_dir,
                    key,
                    runs=args.runs,
                    seconds=args.seconds,
                    connections=args.connections,
                    returning=returning,
                )
                title = (
                    f"(a) HTTP POST /api/v1/decide, {label}; {args.connections} connections, "
                    "server on 1 core, beside a bare Litestar JSON route"
                )
                print(table(title, rows), "\n", flush=True)
        elif "a" in parts:
            print("(a) skipped: wrk is not installed (make bench installs it)\n")
        if "c" in parts:
            print(table("(c) enrolment state memory", bench_memory(args.memory_subjects)))
    return 0


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)
