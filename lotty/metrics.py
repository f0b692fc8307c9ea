"""Operational metrics for `/metrics` (Prometheus text), one registry per `Lotty` instance.

(Not to be confused with `lotty.catalog.metrics`, the experiment metrics experimenters define.)

Each `Lotty` owns a `ServerMetrics` with its own `CollectorRegistry` rather than sharing the
process-wide default: a process may hold several instances (tests, an embedding service next to a
server), and each `/metrics` must describe only its own data dir. Tests therefore see exact counts.

The two hot paths never touch a prometheus-client object: decide counts reasons in a plain dict
under the lock it already holds, and the HTTP middleware, which runs on the event loop thread only,
adds to plain ints. Collectors turn those into metric families when `/metrics` is scraped. A
prometheus-client `Counter.inc()` takes a lock (~0.5 µs, and 1 µs for a histogram observation);
per flag per decide call that would cost a measurable share of the in-process decide budget.
Cold paths (events per batch, guardrail runs) use ordinary prometheus-client counters.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from lotty import __version__
from lotty.decision import REASONS

if TYPE_CHECKING:
    from lotty.store.lake import Lake
    from lotty.store.writer import FactWriter

# Request latency buckets (seconds): decide answers in a few ms, admin writes in tens of ms.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
EVENT_OUTCOMES = ("accepted", "duplicate", "rejected")
GUARDRAIL_CHECK_OUTCOMES = ("ok", "error")
GUARDRAIL_ACTIONS = ("pause", "rollback")
DELIVERY_OUTCOMES = ("sent", "retry", "failed")


class RequestStats:
    """Per-route request counts and latency histograms as plain numbers.

    Only the event loop thread calls `observe`, so no lock is needed; a scrape copies the dicts.
    """

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS):
        self.buckets = buckets
        self.counts: dict[tuple[str, str, int], int] = {}  # (route, method, status) → requests
        # (route, method) → [count per bucket (not cumulative; the last is +Inf)..., sum of seconds]
        self.latency: dict[tuple[str, str], list[float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1
        histogram = self.latency.get((route, method))
        if histogram is None:
            histogram = self.latency[(route, method)] = [0] * (len(self.buckets) + 2)
        histogram[bisect_left(self.buckets, seconds)] += 1  # bucket `le` is inclusive
        histogram[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "lotty_http_requests",
            "HTTP requests answered, by route template, method and status.",
            labels=["route", "method", "status"],
        )
        for (route, method, status), count in sorted(dict(self.counts).items()):
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "lotty_http_request_duration_seconds",
            "Time from the request reaching the route to the last byte of the answer.",
            labels=["route", "method"],
        )
        for (route, method), values in sorted(dict(self.latency).items()):
            values = list(values)
            cumulative, buckets = 0, []
            for bound, in_bucket in zip((*map(_bound, self.buckets), "+Inf"), values[:-1], strict=True):
                cumulative += int(in_bucket)
                buckets.append((bound, cumulative))
            latency.add_metric([route, method], buckets, sum_value=values[-1])
        yield latency


def _bound(value: float) -> str:
    return repr(float(value))


def new_reason_counts() -> defaultdict[str, int]:
    """Decisions per reason, every known reason present from the start (so it exports as 0)."""
    return defaultdict(int, dict.fromkeys(REASONS, 0))


class _Callback(Collector):
    def __init__(self, collect: Callable[[], Iterator[Metric]]):
        self._collect = collect

    def collect(self) -> Iterator[Metric]:
        return self._collect()


class ServerMetrics:
    """Every operational metric of one `Lotty`; `exposition()` renders them for a scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        ProcessCollector(registry=registry)  # cpu, memory, open fds: read from /proc at scrape time
        GCCollector(registry=registry)
        Gauge("lotty_info", "Lotty version.", ["version"], registry=registry).labels(__version__).set(1)
        self.requests = RequestStats()
        self.decisions_by_reason = new_reason_counts()
        registry.register(_Callback(self.requests.collect))
        registry.register(_Callback(self._collect_decisions))
        self.events = Counter(
            "lotty_events",
            "Events received through POST /api/v1/events, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.guardrail_checks = Counter(
            "lotty_guardrail_checks",
            "Guardrail check runs (every running experiment's rules), by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.guardrail_triggers = Counter(
            "lotty_guardrail_triggers",
            "Guardrail rules that fired, by the rule's action.",
            ["action"],
            registry=registry,
        )
        self.notification_attempts = Counter(
            "lotty_notification_attempts",
            "Notification delivery attempts, by outcome: sent, retry (will try again) or failed (gave up).",
            ["outcome"],
            registry=registry,
        )
        for outcome in DELIVERY_OUTCOMES:
            self.notification_attempts.labels(outcome)
        for outcome in EVENT_OUTCOMES:
            self.events.labels(outcome)
        for outcome in GUARDRAIL_CHECK_OUTCOMES:
            self.guardrail_checks.labels(outcome)
        for action in GUARDRAIL_ACTIONS:
            self.guardrail_triggers.labels(action)
        self._queue_depth = Gauge(
            "lotty_write_queue_depth",
            "Fact-row batches waiting for the writer's next journal sync.",
            registry=registry,
        )
        self._apply_lag = Gauge(
            "lotty_writer_apply_lag_seconds",
            "Seconds since the writer last brought DuckDB up to date with the journal "
            "(about 0.5 s at most while healthy; grows while applies fail or stall).",
            registry=registry,
        )

        self._flush_lag = Gauge(
            "lotty_lake_flush_lag_seconds",
            "Seconds since the hot tail last moved to the lake (or since start, before the first "
            "flush); about LOTTY_FLUSH_INTERVAL_SECONDS while healthy.",
            registry=registry,
        )
        self._started = time.monotonic()

    # -- called by the code that does the work --------------------------------------------------
    def count_events(self, accepted: int = 0, duplicates: int = 0, rejected: int = 0) -> None:
        """One events batch's outcome (POST /api/v1/events)."""
        for outcome, count in (("accepted", accepted), ("duplicate", duplicates), ("rejected", rejected)):
            if count:
                self.events.labels(outcome).inc(count)

    def count_guardrail_check(self, outcome: str = "ok") -> None:
        """One guardrail check run: `ok` (rules evaluated) or `error` (the run failed)."""
        self.guardrail_checks.labels(outcome).inc()

    def count_guardrail_trigger(self, action: str) -> None:
        """One guardrail rule fired and acted: `pause` or `rollback`."""
        self.guardrail_triggers.labels(action).inc()

    def count_notification_attempt(self, outcome: str) -> None:
        """One delivery attempt of the outbox: `sent`, `retry` or `failed`."""
        self.notification_attempts.labels(outcome).inc()

    def watch_writer(self, writer: FactWriter) -> None:
        """Read the fact writer's queue depth and apply lag at every scrape."""
        self._queue_depth.set_function(writer.depth)
        self._apply_lag.set_function(lambda: max(0.0, time.monotonic() - writer.applied_at))

    def watch_lake(self, lake: Lake) -> None:
        """Read how long ago the lake was last flushed at every scrape."""
        self._flush_lag.set_function(
            lambda: max(0.0, time.monotonic() - (lake.last_flush_at or self._started))
        )

    # -- scrape ---------------------------------------------------------------------------------
    def _collect_decisions(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "lotty_decisions", "Flag decisions answered, by reason.", labels=["reason"]
        )
        for reason, count in sorted(dict(self.decisions_by_reason).items()):
            family.add_metric([reason], count)
        yield family

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """(body, content type): Prometheus text 0.0.4, or OpenMetrics when `accept` asks for it."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type
