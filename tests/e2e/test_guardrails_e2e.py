"""Guardrails in a real `lotty serve` with a 1 s check interval: an error-rate rule pauses one
experiment, a latency-average rule rolls another back, a control-only breach never acts; decide then
serves the defaults, the triggers are listed newest first, a local HTTP sink receives one webhook
per action (and none for a repeat inside the dedup window), a channel pointing nowhere ends in a
failed delivery with its error, and `lotty guardrails check` works both through the running server
and directly on the data dir."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.e2e.server import Server, run_cli
from tests.sink import Sink, closed_port_url, http_sink

pytestmark = pytest.mark.e2e

ADMIN_KEY = "lotty_e2e_admin_key_0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
SUBJECTS = 40
FLAGS = ("errors_flag", "latency_flag", "control_flag")


def post(api: str, path: str, body: Any = None, headers: dict[str, str] = ADMIN) -> dict[str, Any]:
    response = httpx.post(f"{api}{path}", json=body, headers=headers, timeout=10)
    assert response.status_code in (200, 201), (path, response.text)
    return response.json()  # type: ignore[no-any-return]


def get(api: str, path: str) -> Any:
    response = httpx.get(f"{api}{path}", headers=ADMIN, timeout=10)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def subscribe(api: str, sink: Sink) -> None:
    """Every guardrail action to the sink (60-minute dedup); latency-exp's also to a dead port."""
    post(
        api,
        "/notifications/channels",
        {"key": "team", "type": "webhook", "config": {"url": f"{sink.url}/hook"}},
    )
    post(
        api, "/notifications/rules", {"event": "guardrail_triggered", "channel": "team", "dedup_minutes": 60}
    )
    post(
        api,
        "/notifications/channels",
        {"key": "nowhere", "type": "webhook", "config": {"url": closed_port_url()}},
    )
    rule = {"event": "guardrail_triggered", "channel": "nowhere", "scope": {"experiment": "latency-exp"}}
    post(api, "/notifications/rules", rule)


def define(api: str) -> None:
    approver = post(api, "/users", {"name": "ann", "role": "approver"})
    post(api, "/event-types", {"key": "error", "requires_exposure": False})
    post(api, "/event-types", {"key": "request", "properties": {"ms": {"type": "number", "required": True}}})
    post(api, "/metrics", {"key": "error_rate", "kind": "conversion", "event_type": "error"})
    post(api, "/metrics", {"key": "latency", "kind": "average", "event_type": "request", "property": "ms"})
    rules = {
        "errors-exp": ("errors_flag", "error_rate", "pause", 0.5),
        "latency-exp": ("latency_flag", "latency", "rollback", 500),
        "control-exp": ("control_flag", "error_rate", "pause", 0.5),
    }
    for key, (flag, metric, action, threshold) in rules.items():
        post(api, "/flags", {"key": flag, "type": "string", "default": "off"})
        experiment = {
            "key": key,
            "flag": flag,
            "traffic": 100,
            "variants": [
                {"name": "control", "value": "off", "weight": 50, "control": True},
                {"name": "treatment", "value": "on", "weight": 50},
            ],
        }
        post(api, "/experiments", experiment)
        rule = {
            "metric": metric,
            "operator": ">",
            "threshold": threshold,
            "window_minutes": 60,
            "action": action,
        }
        post(api, f"/experiments/{key}/guardrails", rule)
        post(api, f"/experiments/{key}/submit")
        post(api, f"/experiments/{key}/approve", {}, {"Authorization": f"Bearer {approver['api_key']}"})
        post(api, f"/experiments/{key}/start")


def breaching_events(api: str) -> list[dict[str, Any]]:
    """Every subject decides and is exposed; treatment errors and is slow on the first two flags,
    control errors on the third."""
    ids = itertools.count()
    now = datetime.now(UTC).isoformat()
    events = []

    def event(event_type: str, decision: dict[str, Any], subject: str, **properties: Any) -> None:
        events.append(
            {
                "event_id": f"ev-{next(ids)}",
                "event_type": event_type,
                "decision_id": decision["decision_id"],
                "subject_id": subject,
                "timestamp": now,
                "properties": properties,
            }
        )

    for i in range(SUBJECTS):
        subject = f"user-{i}"
        decisions = post(api, "/decide", {"subject_id": subject, "flags": list(FLAGS)})["decisions"]
        by_flag = {d["flag"]: d for d in decisions}
        for d in decisions:
            assert d["reason"] == "experiment_assigned", d
            event("exposure", d, subject)
        errors, latency, control = (by_flag[f] for f in FLAGS)
        if errors["variant"] == "treatment":
            event("error", errors, subject)
        event("request", latency, subject, ms=900 if latency["variant"] == "treatment" else 100)
        if control["variant"] == "control":
            event("error", control, subject)
    return events


def wait_for(check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_guardrails_pause_and_roll_back_within_a_few_intervals(tmp_path):
    data_dir = tmp_path / "data"
    env = {
        "LOTTY_ADMIN_KEY": ADMIN_KEY,
        "LOTTY_GUARDRAIL_INTERVAL_SECONDS": "1",
        "LOTTY_FLUSH_INTERVAL_SECONDS": "1",
        "LOTTY_NOTIFICATION_INTERVAL_SECONDS": "1",
        "LOTTY_NOTIFICATION_MAX_ATTEMPTS": "2",
        "LOTTY_NOTIFICATION_RETRY_SECONDS": "1",
    }
    assert run_cli("init", "--data-dir", str(data_dir), env=env).returncode == 0
    server = Server(data_dir, env=env)
    with server, http_sink() as sink:
        api = f"{server.url}/api/v1"
        define(api)
        subscribe(api, sink)
        events = breaching_events(api)
        answer = post(api, "/events", {"events": events})
        assert answer["accepted"] == len(events), answer
        sent = time.monotonic()

        def status(key: str) -> str:
            return str(get(api, f"/experiments/{key}")["status"])

        wait_for(lambda: status("errors-exp") == "paused" and status("latency-exp") == "completed")
        assert time.monotonic() - sent < 10  # a few 1 s intervals
        rolled_back = get(api, "/experiments/latency-exp")
        assert rolled_back["outcome"]["outcome"] == "rollback"
        assert rolled_back["outcome"]["decided_by"] == "system"
        assert "latency > 500" in rolled_back["outcome"]["comment"]
        assert "observed 900" in rolled_back["outcome"]["comment"]
        time.sleep(2)  # more ticks: the control-only breach still never acts
        assert status("control-exp") == "running"
        assert get(api, "/experiments/control-exp/guardrail-triggers")["items"] == []

        decisions = post(api, "/decide", {"subject_id": "user-0", "flags": list(FLAGS)})["decisions"]
        by_flag = {d["flag"]: d for d in decisions}
        assert (by_flag["errors_flag"]["value"], by_flag["errors_flag"]["reason"]) == (
            "off",
            "experiment_paused",
        )
        assert (by_flag["latency_flag"]["value"], by_flag["latency_flag"]["reason"]) == (
            "off",
            "no_active_experiment",
        )

        [trigger] = get(api, "/experiments/latency-exp/guardrail-triggers")["items"]
        assert {k: trigger[k] for k in ("metric", "operator", "threshold", "window_minutes", "action")} == {
            "metric": "latency",
            "operator": ">",
            "threshold": 500.0,
            "window_minutes": 60,
            "action": "rollback",
        }
        assert trigger["observed_value"] == 900.0 and trigger["variant"] == "treatment"
        assert 0 < trigger["samples"] < SUBJECTS
        assert datetime.fromisoformat(trigger["triggered_at"]) <= datetime.now(UTC)

        # one webhook per action, each with its experiment's trigger
        wait_for(lambda: len(sink.received) == 2)
        payloads = {r.json()["experiment"]: r.json() for r in sink.received}
        assert payloads["errors-exp"]["data"]["action"] == "pause"
        assert payloads["latency-exp"]["data"]["action"] == "rollback"
        assert payloads["latency-exp"]["data"]["triggers"][0]["id"] == trigger["id"]
        assert all(r.headers["x-lotty-event"] == "guardrail_triggered" for r in sink.received)

        # the dead channel: retried once, then failed with the error; the jobs keep running
        def failed() -> list[dict[str, Any]]:
            return get(api, "/notifications/deliveries?channel=nowhere&status=failed")["items"]

        wait_for(failed)
        [dead] = failed()
        assert dead["attempts"] == 2 and "could not reach" in dead["last_error"], dead

        # resumed, the error rule fires again at the next tick: two triggers, newest first
        first = get(api, "/experiments/errors-exp/guardrail-triggers")["items"]
        assert [t["observed_value"] for t in first] == [1.0]
        post(api, "/experiments/errors-exp/resume")
        wait_for(lambda: status("errors-exp") == "paused")
        items = get(api, "/experiments/errors-exp/guardrail-triggers")["items"]
        assert len(items) == 2 and items[0]["triggered_at"] > items[1]["triggered_at"]
        assert items[1]["id"] == first[0]["id"]
        assert {(t["metric"], t["action"], t["observed_value"]) for t in items} == {
            ("error_rate", "pause", 1.0)
        }
        # ... and its notification, inside the rule's dedup window, is suppressed: the sink hears nothing
        deliveries = get(api, "/notifications/deliveries?channel=team&experiment=errors-exp")["items"]
        assert [d["status"] for d in deliveries] == ["suppressed", "sent"]
        assert "dedup window" in deliveries[0]["last_error"]
        time.sleep(2)  # outbox ticks
        assert len(sink.received) == 2
        log = get(api, "/experiments/errors-exp/log")["items"]
        assert [e["action"] for e in log[:3]] == ["pause", "resume", "pause"]
        assert log[0]["actor"] == log[2]["actor"] == "system" != log[1]["actor"]
        assert "error_rate > 0.5" in log[0]["comment"] and "observed 1" in log[0]["comment"]

        # the CLI while the server holds the database: it asks the server
        cli = run_cli(
            "guardrails",
            "check",
            "--experiment",
            "control-exp",
            "--data-dir",
            str(data_dir),
            env={**env, "LOTTY_PORT": str(server.port)},
        )
        assert cli.returncode == 0, cli.stderr
        assert "held by a running server" in cli.stderr
        assert "checked 1 rule x variant value(s)" in cli.stdout  # only control-exp still runs

        # backtest while the server holds the database: it replays over the lake, acting on nothing
        def backtest() -> str:
            result = run_cli(
                "guardrails", "backtest", "latency-exp", "--data-dir", str(data_dir), "--step", "1"
            )
            assert result.returncode == 0, result.stderr
            assert "replaying over the lake" in result.stderr
            return result.stdout

        wait_for(lambda: "first action: rollback" in backtest(), timeout=20)
        assert status("control-exp") == "running"
        metrics = httpx.get(f"{server.url}/metrics").text
        assert 'lotty_guardrail_triggers_total{action="rollback"} 1.0' in metrics
        assert 'lotty_guardrail_triggers_total{action="pause"} 2.0' in metrics

    # no server: the CLI opens the data dir itself
    cli = run_cli("guardrails", "check", "--data-dir", str(data_dir), "--format", "json", env=env)
    assert cli.returncode == 0, cli.stderr
    assert '"evaluated": 1' in cli.stdout and '"actions": []' in cli.stdout
