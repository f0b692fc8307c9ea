"""evaluate_guardrails: the pure decision over observed rows (min_samples, operators, nulls, rollback
beats pause, one action per experiment)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lotty.guardrails import Observation, evaluate_guardrails

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def obs(value, op=">", threshold=0.5, samples=100, min_samples=0, action="pause", **kw) -> Observation:
    fields = {
        "guardrail": "g1",
        "experiment": "exp",
        "variant": "treat",
        "metric": "errors",
        "operator": op,
        "threshold": threshold,
        "window_minutes": 60,
        "action": action,
        "min_samples": min_samples,
        "samples": samples,
        "observed_value": value,
    }
    return Observation(**{**fields, **kw})


@pytest.mark.parametrize(
    ("value", "op", "threshold", "samples", "min_samples", "breach"),
    [
        (0.6, ">", 0.5, 10, 0, True),
        (0.5, ">", 0.5, 10, 0, False),
        (0.5, ">=", 0.5, 10, 0, True),
        (0.4, "<", 0.5, 10, 0, True),
        (0.5, "<", 0.5, 10, 0, False),
        (0.5, "<=", 0.5, 10, 0, True),
        (0.9, ">", 0.5, 9, 10, False),  # fewer exposed subjects than min_samples
        (0.9, ">", 0.5, 10, 10, True),  # exactly min_samples is enough
        (None, "<", 0.5, 10, 0, False),  # a null value never breaches
        (None, ">", -1.0, 10, 0, False),
        (float("nan"), ">", 0.5, 10, 0, False),
        (0.0, "<=", 0.0, 0, 0, True),  # min_samples 0: even no one exposed counts (value is 0)
    ],
)
def test_breach_table(value, op, threshold, samples, min_samples, breach):
    actions = evaluate_guardrails(
        [obs(value, op=op, threshold=threshold, samples=samples, min_samples=min_samples)], NOW
    )
    assert bool(actions) is breach


def test_no_rows_no_actions():
    assert evaluate_guardrails([], NOW) == []


def test_rollback_beats_pause_and_every_breach_is_kept():
    rows = [
        obs(0.9, guardrail="g1", action="pause"),
        obs(900, guardrail="g2", metric="latency", threshold=500, action="rollback", variant="b"),
        obs(0.1, guardrail="g3", action="rollback"),  # no breach
    ]
    [action] = evaluate_guardrails(rows, NOW)
    assert action.experiment == "exp"
    assert action.action == "rollback"
    assert action.cause.guardrail == "g2"
    assert [b.guardrail for b in action.breaches] == ["g1", "g2"]


def test_one_action_per_experiment_in_key_order():
    rows = [
        obs(0.9, experiment="zeta", guardrail="a"),
        obs(0.9, experiment="alpha", guardrail="b", variant="v2"),
        obs(0.9, experiment="alpha", guardrail="b", variant="v1"),
        obs(0.1, experiment="quiet"),
    ]
    actions = evaluate_guardrails(rows, NOW)
    assert [(a.experiment, a.action) for a in actions] == [("alpha", "pause"), ("zeta", "pause")]
    assert [b.variant for b in actions[0].breaches] == ["v1", "v2"]


def test_accepts_sql_rows():
    row = {
        "guardrail": "g",
        "experiment": "e",
        "variant": "t",
        "metric": "m",
        "kind": "conversion",
        "operator": ">",
        "threshold": 0.5,
        "window_minutes": 5,
        "action": "pause",
        "min_samples": 0,
        "samples": 3,
        "observed_value": 1.0,
    }
    [action] = evaluate_guardrails([row], NOW)
    assert action.cause.samples == 3
