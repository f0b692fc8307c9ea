"""The async decision log's buffer gives exactly the rows a per-row conversion would."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from lotty import decision_log
from lotty.decision_log import DecisionLogBuffer
from lotty.runtime import IssuedDecision

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


def test_drained_rows_equal_the_decisions_in_order():
    buffer = DecisionLogBuffer()
    assert buffer.drain() is None
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
        buffer.append(subject, stamp, issued)
    rows = buffer.drain().to_pylist()
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
    assert buffer.drain() is None


def test_the_outcome_table_restarts_when_it_grows_past_its_bound(monkeypatch):
    monkeypatch.setattr(decision_log, "MAX_OUTCOMES", 2)
    buffer = DecisionLogBuffer()
    for n in range(4):
        buffer.append("u", 1, [_issued(f"f{n}", n, "no_active_experiment", n=n)])
    assert [r["flag"] for r in buffer.drain().to_pylist()] == ["f0", "f1", "f2", "f3"]
    buffer.append("u", 1, [_issued("g", 1, "no_active_experiment")])
    assert [(r["flag"], r["value"]) for r in buffer.drain().to_pylist()] == [("g", "1")]
