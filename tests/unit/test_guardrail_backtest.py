"""`lotty guardrails backtest`: the live check's statement and decision replayed over stored history,
acting on nothing (tests/report_world.py: t2, exposed at 1:10, crashes at 1:15)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from lotty.errors import NotFoundError, ValidationError
from lotty.guardrail_backtest import render_backtest, run_backtest
from tests.e2e.server import run_cli
from tests.report_world import API, T0, at, define, write_events


@pytest.fixture
def world(lotty, admin, make_user, clock):
    define(admin, make_user("approver"))
    body = {"metric": "crashes", "operator": ">=", "threshold": 1, "window_minutes": 60, "action": "pause"}
    assert admin.post(f"{API}/experiments/exp/guardrails", body).status_code == 201
    write_events(lotty)
    clock.now = T0 + timedelta(hours=5)
    return lotty


def backtest(world, *args, **kwargs):
    with world.store.read() as tx:
        return run_backtest(tx, "exp", *args, now=world.clock(), **kwargs)


def test_lists_each_step_a_rule_would_have_fired_at_and_acts_on_nothing(world, admin):
    result = backtest(world, T0, at(3), 30)
    assert result.steps == 6  # 0:30, 1:00, ..., 3:00
    # [0:30, 1:30) and [1:00, 2:00) hold t2's exposure and crash; from 2:30 t2 is not exposed in the window
    assert [(f.at, f.metric, f.variant, f.observed_value, f.samples) for f in result.fires] == [
        (at(1, 30), "crashes", "treat", 1.0, 1),
        (at(2), "crashes", "treat", 1.0, 2),
    ]
    assert (result.first_action.at, result.first_action.action) == (at(1, 30), "pause")
    assert "first action: pause at 2026-11-21T14:30:00+00:00" in render_backtest(result)
    assert admin.get(f"{API}/experiments/exp").json()["status"] == "running"
    assert admin.get(f"{API}/experiments/exp/guardrail-triggers").json()["items"] == []


def test_the_last_step_is_the_window_end(world):
    result = backtest(world, at(1), at(1, 20), 60)
    assert result.steps == 1 and [f.at for f in result.fires] == [at(1, 20)]


def test_bad_windows(world):
    with pytest.raises(ValidationError, match="window is empty"):
        backtest(world, at(2), at(1))
    with pytest.raises(ValidationError, match="larger step"):
        backtest(world, T0 - timedelta(days=365), at(1), 1)
    with pytest.raises(NotFoundError), world.store.read() as tx:
        run_backtest(tx, "nope", now=world.clock())


def test_cli(world, settings):
    world.close()
    args = ("guardrails", "backtest", "exp", "--data-dir", str(settings.data_dir))
    text = run_cli(*args, "--from", T0.isoformat(), "--to", at(3).isoformat(), "--step", "30")
    assert text.returncode == 0, text.stderr
    assert text.stdout.count("crashes >= 1 over 60 min (pause): variant treat observed 1") == 2
    as_json = run_cli(*args, "--from", T0.isoformat(), "--to", at(3).isoformat(), "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    body = json.loads(as_json.stdout)
    assert body["step_minutes"] == 5 and body["first_action"]["action"] == "pause"
    bad = run_cli(*args, "--from", "yesterday")
    assert bad.returncode != 0 and "RFC 3339" in bad.stderr
