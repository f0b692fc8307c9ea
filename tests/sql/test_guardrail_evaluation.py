"""sql/guardrails/evaluate.sql on tests/report_world.py's events: the value of every metric kind
equals the report's over the same window, windows and populations follow the report's rules, and
one statement covers every running experiment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lotty.guardrails import read_observations
from lotty.reports import build_report
from tests.report_world import API, METRIC_KEYS, T0, at, define, write_events


@pytest.fixture
def world(lotty, admin, make_user, clock):
    define(admin, make_user("approver"))
    write_events(lotty)
    clock.now = T0 + timedelta(hours=5)
    return lotty


def add_rule(admin, metric, window=120, operator=">", threshold=-1e9, action="pause", key="exp"):
    body = {
        "metric": metric,
        "operator": operator,
        "threshold": threshold,
        "window_minutes": window,
        "action": action,
    }
    response = admin.post(f"{API}/experiments/{key}/guardrails", body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_every_metric_kind_matches_the_report_over_the_same_window(world, admin):
    for metric in METRIC_KEYS:
        add_rule(admin, metric)
    observed = [o for o in read_observations(world.store, at(2)) if o.window_minutes == 120]
    assert {o.variant for o in observed} == {"treat"}  # control is never evaluated
    report = build_report(world.store, "exp", T0, at(2), "hour", world.clock())
    treat = next(v for v in report.variants if v.variant == "treat")
    assert {o.metric: o.observed_value for o in observed} == pytest.approx(
        {key: m.value for key, m in treat.metrics.items()}
    )
    assert {o.samples for o in observed} == {treat.subjects} == {2}


def test_the_window_is_the_last_window_minutes_before_now(world):
    # the existing rule: crashes > 5 over 60 minutes; at 2:00 the window is [1:00, 2:00): t1 (exposed
    # again at 1:30) and t2 (1:10) are the population, t2's crash at 1:15 counts
    [row] = read_observations(world.store, at(2))
    assert (row.metric, row.variant, row.samples, row.observed_value) == ("crashes", "treat", 2, 1.0)
    # at 1:00 the window is [0:00, 1:00): t1 only, no crash
    [row] = read_observations(world.store, at(1))
    assert (row.samples, row.observed_value) == (1, 0.0)
    # at 3:00 nobody was exposed in [2:00, 3:00): samples 0 and no value
    [row] = read_observations(world.store, at(3))
    assert (row.samples, row.observed_value) == (0, None)


def test_only_running_experiments_unless_asked_for_any(world, admin):
    assert admin.post(f"{API}/experiments/exp/pause").status_code == 200
    assert read_observations(world.store, at(2)) == []
    assert read_observations(world.store, at(2), experiment="exp") == []
    [row] = read_observations(world.store, at(2), experiment="exp", running_only=False)
    assert row.observed_value == 1.0


def test_one_statement_covers_every_running_experiment(world, admin, make_user):
    approver = make_user("approver")
    assert admin.post(f"{API}/flags", {"key": "other", "type": "string", "default": "a"}).status_code == 201
    experiment = {
        "key": "exp2",
        "flag": "other",
        "traffic": 90,
        "variants": [
            {"name": "control", "value": "a", "weight": 30, "control": True},
            {"name": "b", "value": "b", "weight": 30},
            {"name": "c", "value": "c", "weight": 30},
        ],
    }
    assert admin.post(f"{API}/experiments", experiment).status_code == 201
    add_rule(admin, "crashes", key="exp2")
    for step, caller in (("submit", admin), ("approve", approver), ("start", admin)):
        assert caller.post(f"{API}/experiments/exp2/{step}").status_code == 200
    rows = read_observations(world.store, at(2))
    assert sorted((r.experiment, r.variant, r.samples) for r in rows) == [
        ("exp", "treat", 2),
        ("exp2", "b", 0),
        ("exp2", "c", 0),
    ]
