"""A small, hand-checkable experiment for the report tests (tests/sql, tests/api, tests/unit).

Experiment `exp` (control 50 / treat 50) with one metric of every kind on `purchase` (amount) and
`view` events, and a guardrail on `crashes`. Events are written straight through the fact writer
(no decision tokens needed). The expected numbers of each test are worked out in its comments.

Window [T0, T0 + 2h), hour buckets (B0 = T0, B1 = T0 + 1h):

    subject  variant  exposures (bucket)   purchases (amount, bucket)   views (bucket)  other
    c1       control  0:10 (B0)            10 @0:30 B0, 20 @1:40 B1     0:35 B0, 1:45 B1
    c2       control  0:20 (B0)            30 @0:40 B0, 70 @2:00 (out)  0:00 B0 (window start)
    c3       control  1:05 (B1)            1000 @1:30, pending          1:06 B1
    t1       treat    0:15 B0, 1:30 B1     40 @0:50 B0, 50 @1:20, 60 @1:50 B1   0:55 B0
    t2       treat    1:10 (B1)            -                            1:12, 1:14 B1   crash 1:15
    x9       treat    T0 - 1h (before)     -                            0:30 B0 (not exposed in window)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from lotty.instance import Lotty
from tests.conftest import Caller

API = "/api/v1"
T0 = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)  # after the FakeClock's start (12:00): the experiment runs
METRICS = [
    {"key": "purchases", "kind": "count", "event_type": "purchase"},
    {"key": "buyers", "kind": "conversion", "event_type": "purchase"},
    {"key": "per_view", "kind": "ratio", "numerator": "purchase", "denominator": "view"},
    {"key": "revenue", "kind": "sum", "event_type": "purchase", "property": "amount"},
    {"key": "aov", "kind": "average", "event_type": "purchase", "property": "amount"},
    {"key": "p50", "kind": "percentile", "event_type": "purchase", "property": "amount", "percentile": 0.5},
    {"key": "crashes", "kind": "count", "event_type": "crash", "higher_is_better": False},
]
METRIC_KEYS = [m["key"] for m in METRICS]
VARIANT = {"c1": "control", "c2": "control", "c3": "control", "t1": "treat", "t2": "treat", "x9": "treat"}


def at(hours: int, minutes: int = 0) -> datetime:
    return T0 + timedelta(hours=hours, minutes=minutes)


# (event_type, subject, decision, time, properties); ids are assigned in order
EVENTS: list[tuple[str, str, str, datetime, dict[str, Any]]] = [
    ("exposure", "c1", "d-c1", at(0, 10), {}),
    ("exposure", "c2", "d-c2", at(0, 20), {}),
    ("exposure", "c3", "d-c3", at(1, 5), {}),
    ("exposure", "t1", "d-t1", at(0, 15), {}),
    ("exposure", "t1", "d-t1", at(1, 30), {}),
    ("exposure", "t2", "d-t2", at(1, 10), {}),
    ("exposure", "x9", "d-x9", at(-1), {}),
    ("purchase", "c1", "d-c1", at(0, 30), {"amount": 10}),
    ("purchase", "c1", "d-c1", at(1, 40), {"amount": 20}),
    ("purchase", "c2", "d-c2", at(0, 40), {"amount": 30}),
    ("purchase", "c2", "d-c2", at(2, 0), {"amount": 70}),  # at `to`: excluded
    ("purchase", "c3", "d-c3-other", at(1, 30), {"amount": 1000}),  # no exposure on its decision: pending
    ("purchase", "t1", "d-t1", at(0, 50), {"amount": 40}),
    ("purchase", "t1", "d-t1", at(1, 20), {"amount": 50}),
    ("purchase", "t1", "d-t1", at(1, 50), {"amount": 60}),
    ("view", "c1", "d-c1", at(0, 35), {}),
    ("view", "c1", "d-c1", at(1, 45), {}),
    ("view", "c2", "d-c2", at(0, 0), {}),  # at `from`: included
    ("view", "c3", "d-c3", at(1, 6), {}),
    ("view", "t1", "d-t1", at(0, 55), {}),
    ("view", "t2", "d-t2", at(1, 12), {}),
    ("view", "t2", "d-t2", at(1, 14), {}),
    ("view", "x9", "d-x9", at(0, 30), {}),  # x9 was exposed before the window: not in the population
    ("crash", "t2", "d-t2", at(1, 15), {}),
]


def define(admin: Caller, approver: Caller) -> None:
    """Event types, metrics, the experiment `exp` with a guardrail on `crashes`, started."""
    for body in (
        {"key": "purchase", "requires_exposure": True, "properties": {"amount": {"type": "number"}}},
        {"key": "view", "requires_exposure": False},
        {"key": "crash", "requires_exposure": False},
    ):
        assert admin.post(f"{API}/event-types", body).status_code == 201
    for metric in METRICS:
        assert admin.post(f"{API}/metrics", metric).status_code == 201, metric
    assert admin.post(f"{API}/flags", {"key": "cta", "type": "string", "default": "a"}).status_code == 201
    experiment = {
        "key": "exp",
        "flag": "cta",
        "traffic": 100,
        "variants": [
            {"name": "control", "value": "a", "weight": 50, "control": True},
            {"name": "treat", "value": "b", "weight": 50},
        ],
        "primary_metric": "purchases",
        "metrics": METRIC_KEYS[:-1],
    }
    assert admin.post(f"{API}/experiments", experiment).status_code == 201
    guardrail = {
        "metric": "crashes",
        "operator": ">",
        "threshold": 5,
        "window_minutes": 60,
        "action": "pause",
    }
    assert admin.post(f"{API}/experiments/exp/guardrails", guardrail).status_code == 201
    assert admin.post(f"{API}/experiments/exp/submit").status_code == 200
    assert approver.post(f"{API}/experiments/exp/approve").status_code == 200
    assert admin.post(f"{API}/experiments/exp/start").status_code == 200


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def event_rows(
    events: list[tuple[str, str, str, datetime, dict[str, Any]]],
    prefix: str = "e",
    variants: Mapping[str, str] = VARIANT,
) -> list[tuple]:
    """Rows for the fact writer (FACT_SCHEMAS["events"] order); `variants` maps subjects to variants."""
    return [
        (
            f"{prefix}{i}",
            event_type,
            decision,
            subject,
            "cta",
            "exp",
            1,
            variants[subject],
            _micros(moment),
            _micros(moment),
            json.dumps(properties),
        )
        for i, (event_type, subject, decision, moment, properties) in enumerate(events)
    ]


def write_events(
    lotty: Lotty, events=EVENTS, prefix: str = "e", variants: Mapping[str, str] = VARIANT
) -> None:
    assert lotty.writer is not None
    lotty.writer.submit({"events": event_rows(events, prefix, variants)}).result()
    lotty.writer.flush()
