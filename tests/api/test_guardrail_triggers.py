"""Guardrail actions on tests/report_world.py's experiment: pause, rollback (rollback wins), trigger
records, the audit log, /metrics counters, and the HTTP endpoints (triggers list, check)."""

from __future__ import annotations

import pytest

from lotty.guardrails import check_guardrails
from tests.api.helpers import assert_error
from tests.report_world import API, at, define, write_events


@pytest.fixture
def world(lotty, admin, make_user, clock):
    define(admin, make_user("approver"))
    write_events(lotty)
    clock.now = at(2)  # every check below evaluates at 2:00 (+ a few ms)
    return lotty


def add_rule(admin, metric, operator, threshold, action, window=60, min_samples=0):
    body = {
        "metric": metric,
        "operator": operator,
        "threshold": threshold,
        "window_minutes": window,
        "action": action,
        "min_samples": min_samples,
    }
    response = admin.post(f"{API}/experiments/exp/guardrails", body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def status(admin):
    return admin.get(f"{API}/experiments/exp").json()


def test_nothing_breached_nothing_done(world, admin):
    add_rule(admin, "buyers", ">", 0.6, "rollback", window=120)  # control 2/3 breaches; control never acts
    add_rule(admin, "aov", ">", 50, "pause", window=120, min_samples=3)  # treat 50: not > 50
    result = check_guardrails(world)
    assert result.actions == [] and result.evaluated == 3
    assert status(admin)["status"] == "running"
    assert admin.get(f"{API}/experiments/exp/guardrail-triggers").json() == {"items": [], "next_cursor": None}


def test_min_samples_holds_a_breach_back(world, admin):
    add_rule(admin, "crashes", ">=", 1, "pause", min_samples=3)  # 2 exposed subjects in [1:00, 2:00)
    assert check_guardrails(world).actions == []
    assert status(admin)["status"] == "running"


def test_pause(world, admin, make_user):
    rule = add_rule(admin, "crashes", ">=", 1, "pause")
    [taken] = check_guardrails(world).actions
    assert (taken.experiment, taken.action, taken.status) == ("exp", "pause", "paused")
    assert status(admin)["status"] == "paused"
    page = make_user("viewer").get(f"{API}/experiments/exp/guardrail-triggers").json()
    [trigger] = page["items"]
    assert {k: v for k, v in trigger.items() if k not in ("id", "triggered_at")} == {
        "experiment": "exp",
        "guardrail": rule,
        "variant": "treat",
        "metric": "crashes",
        "operator": ">=",
        "threshold": 1.0,
        "window_minutes": 60,
        "action": "pause",
        "observed_value": 1.0,
        "samples": 2,
    }
    assert trigger["triggered_at"].startswith("2026-11-21T15:00:00")
    [entry, *_] = admin.get(f"{API}/experiments/exp/log").json()["items"]
    assert (entry["actor"], entry["action"]) == ("system", "pause")
    assert rule in entry["comment"] and "observed 1" in entry["comment"]
    assert entry["after"]["guardrail"]["triggers"][0]["id"] == trigger["id"]
    assert check_guardrails(world).actions == []  # a paused experiment is not evaluated again
    text = admin.get("/metrics").text
    assert 'lotty_guardrail_triggers_total{action="pause"} 1.0' in text
    assert 'lotty_guardrail_checks_total{outcome="ok"} 2.0' in text


def test_rollback_wins_and_every_breach_is_recorded(world, admin, clock):
    pause = add_rule(admin, "crashes", ">=", 1, "pause")
    rollback = add_rule(admin, "aov", ">", 45, "rollback", window=120)  # treat: (40+50+60)/3 = 50
    [taken] = check_guardrails(world).actions
    assert (taken.action, taken.status) == ("rollback", "completed")
    experiment = status(admin)
    assert experiment["outcome"]["outcome"] == "rollback"
    assert experiment["outcome"]["decided_by"] == "system"
    assert rollback in experiment["outcome"]["comment"] and "observed 50" in experiment["outcome"]["comment"]
    items = admin.get(f"{API}/experiments/exp/guardrail-triggers").json()["items"]
    assert sorted((t["guardrail"], t["action"], t["observed_value"]) for t in items) == sorted(
        [(pause, "pause", 1.0), (rollback, "rollback", 50.0)]
    )


def test_triggers_page_newest_first(world, admin, clock):
    add_rule(admin, "crashes", ">=", 1, "pause")
    check_guardrails(world)
    clock.advance(minutes=1)
    assert admin.post(f"{API}/experiments/exp/resume").status_code == 200
    check_guardrails(world)  # [1:01, 2:01): still t2's crash
    first = admin.get(f"{API}/experiments/exp/guardrail-triggers?limit=1").json()
    second = admin.get(
        f"{API}/experiments/exp/guardrail-triggers?limit=1&cursor={first['next_cursor']}"
    ).json()
    assert first["next_cursor"] and second["next_cursor"] is None
    assert first["items"][0]["triggered_at"] > second["items"][0]["triggered_at"]


def test_endpoints_check_and_errors(world, admin, make_user):
    add_rule(admin, "crashes", ">=", 1, "pause")
    assert_error(make_user("experimenter").post(f"{API}/guardrails/check", {}), 403)
    assert_error(admin.get(f"{API}/experiments/nope/guardrail-triggers"), 404)
    assert_error(admin.post(f"{API}/guardrails/check", {"experiment": "nope"}), 404)
    assert_error(admin.post(f"{API}/guardrails/check", {"everything": True}), 400)
    assert_error(admin.post(f"{API}/guardrails/check"), 400)  # the body is required: {} checks all
    assert status(admin)["status"] == "running"
    response = admin.post(f"{API}/guardrails/check", {"experiment": "exp"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["evaluated"] == 2  # the world's own rule (crashes > 5) and this one
    [taken] = body["actions"]
    assert (taken["experiment"], taken["action"], taken["status"]) == ("exp", "pause", "paused")
    assert taken["triggers"][0]["observed_value"] == 1.0
    again = admin.post(f"{API}/guardrails/check", {}).json()
    assert (again["evaluated"], again["actions"]) == (0, [])  # nothing runs any more
