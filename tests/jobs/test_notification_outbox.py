"""The outbox job against a real local HTTP sink: each channel type's request, retries with backoff
on an injected clock, failures that give up with the error, and the events that queue deliveries
(a guardrail action, a sample-ratio mismatch) from the guardrail job."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from jobs.guardrails import check_guardrails
from jobs.notifications import deliver_notifications, prune_notification_log
from jobs.scheduler import create_scheduler
from lotty.notifications.delivery import RetryPolicy, deliver_due
from tests.report_world import API, EVENTS, at, define, write_events
from tests.sink import Sink, closed_port_url, http_sink

CHANNELS = f"{API}/notifications/channels"
RULES = f"{API}/notifications/rules"
DELIVERIES = f"{API}/notifications/deliveries"


@pytest.fixture
def sink() -> Iterator[Sink]:
    with http_sink() as running:
        yield running


def subscribe(
    admin, channel_type: str, config: dict, event: str = "experiment_status_changed", **rule
) -> str:
    key = f"{channel_type}-{len(admin.get(CHANNELS).json()['items'])}"
    assert admin.post(CHANNELS, {"key": key, "type": channel_type, "config": config}).status_code == 201
    assert admin.post(RULES, {"event": event, "channel": key, **rule}).status_code == 201
    return key


def deliveries(admin, **filters) -> list[dict]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return admin.get(f"{DELIVERIES}?{query}").json()["items"]


def a_status_change(admin, make_user) -> None:
    """Queues one experiment_status_changed per rule: a new experiment submitted for review."""
    approver = make_user("approver")
    define(admin, approver)  # creates `exp` and walks it to running (submit, approve, start)


def test_each_channel_type_is_sent_its_own_format(lotty, admin, make_user, sink):
    subscribe(admin, "webhook", {"url": f"{sink.url}/hook", "headers": {"Authorization": "Bearer t0ken"}})
    subscribe(admin, "slack", {"url": f"{sink.url}/services/T/B/x"})
    subscribe(admin, "telegram", {"bot_token": "123:abc", "chat_id": 42, "api_url": sink.url})
    a_status_change(admin, make_user)
    run = deliver_notifications(lotty)
    assert (run.attempted, run.sent, run.retrying, run.failed) == (9, 9, 0, 0)
    by_path: dict[str, list] = {}
    for request in sink.received:
        by_path.setdefault(request.path, []).append(request)
    assert sorted(by_path) == ["/bot123:abc/sendMessage", "/hook", "/services/T/B/x"]
    hooks = by_path["/hook"]
    assert {h.json()["data"]["to"] for h in hooks} == {"in_review", "approved", "running"}
    assert all(h.headers["authorization"] == "Bearer t0ken" for h in hooks)
    assert all(h.headers["x-lotty-event"] == "experiment_status_changed" for h in hooks)
    assert {h.headers["x-lotty-delivery"] for h in hooks} == {h.json()["delivery_id"] for h in hooks}
    assert all(r.json()["text"].startswith("[Lotty] Experiment 'exp'") for r in by_path["/services/T/B/x"])
    assert all(r.json()["chat_id"] == 42 for r in by_path["/bot123:abc/sendMessage"])
    sent = deliveries(admin, status="sent")
    assert len(sent) == 9 and all(d["attempts"] == 1 and d["response_status"] == 200 for d in sent)
    assert all(d["sent_at"] is not None and d["last_error"] is None for d in sent)
    assert deliver_notifications(lotty).attempted == 0  # nothing is sent twice
    assert 'lotty_notification_attempts_total{outcome="sent"} 9.0' in admin.get("/metrics").text


def test_a_channel_pointing_nowhere_retries_with_backoff_then_fails_with_the_error(
    lotty, admin, make_user, clock
):
    subscribe(admin, "webhook", {"url": closed_port_url()}, dedup_minutes=0)
    a_status_change(admin, make_user)
    policy = RetryPolicy(max_attempts=3, first_delay_seconds=30)
    run = deliver_due(lotty.store, policy, clock)
    assert (run.attempted, run.retrying) == (3, 3)
    pending = deliveries(admin, status="pending")
    assert all(d["attempts"] == 1 and "could not reach http://127.0.0.1:" in d["last_error"] for d in pending)
    assert deliver_due(lotty.store, policy, clock).attempted == 0  # not due before the backoff
    clock.advance(seconds=30)
    assert deliver_due(lotty.store, policy, clock).retrying == 3
    clock.advance(seconds=59)
    assert deliver_due(lotty.store, policy, clock).attempted == 0  # the second wait is 60 s
    clock.advance(seconds=1)
    assert deliver_due(lotty.store, policy, clock).failed == 3
    failed = deliveries(admin, status="failed")
    assert len(failed) == 3
    assert all(d["attempts"] == 3 and d["last_error"].endswith("(gave up after 3 attempts)") for d in failed)
    assert all("Connection refused" in d["last_error"] for d in failed)
    clock.advance(hours=2)
    assert deliver_due(lotty.store, policy, clock).attempted == 0


def test_a_refusing_channel_fails_at_once_and_a_busy_one_is_retried(lotty, admin, make_user, clock, sink):
    subscribe(admin, "webhook", {"url": f"{sink.url}/hook"})
    a_status_change(admin, make_user)
    sink.status = 429
    run = deliver_due(lotty.store, RetryPolicy(5, 10), clock)
    assert run.retrying == 3
    assert all(d["response_status"] == 429 for d in deliveries(admin, status="pending"))
    sink.status = 404
    clock.advance(seconds=10)
    assert deliver_due(lotty.store, RetryPolicy(5, 10), clock).failed == 3
    failed = deliveries(admin, status="failed")
    assert all(d["last_error"].startswith("HTTP 404") and "not retried" in d["last_error"] for d in failed)
    assert all("refused by the inbox" in d["last_error"] for d in failed)


def test_secrets_never_reach_the_delivery_log(lotty, admin, make_user, clock):
    subscribe(admin, "telegram", {"bot_token": "999:s3cret", "chat_id": 1, "api_url": closed_port_url()})
    a_status_change(admin, make_user)
    deliver_due(lotty.store, RetryPolicy(1, 10), clock)
    text = admin.get(DELIVERIES).text
    assert "failed" in text and "s3cret" not in text


def test_a_deleted_channel_fails_its_queued_deliveries(lotty, admin, make_user, clock):
    channel = subscribe(admin, "webhook", {"url": "http://127.0.0.1:9/x"})
    a_status_change(admin, make_user)
    rule = admin.get(RULES).json()["items"][0]["id"]
    assert admin.delete(f"{RULES}/{rule}").status_code == 204
    assert admin.delete(f"{CHANNELS}/{channel}").status_code == 204
    assert deliver_due(lotty.store, RetryPolicy(5, 10), clock).failed == 3
    assert all("no longer exists" in d["last_error"] for d in deliveries(admin, status="failed"))


def test_a_sender_that_raises_is_an_attempt_that_failed(lotty, admin, make_user, clock, monkeypatch):
    subscribe(admin, "webhook", {"url": "http://127.0.0.1:9/x"})
    a_status_change(admin, make_user)

    def broken(request, timeout):
        raise RuntimeError("socket library on fire")

    run = deliver_due(lotty.store, RetryPolicy(5, 10), clock, broken)
    assert run.retrying == 3
    assert all("socket library on fire" in d["last_error"] for d in deliveries(admin, status="pending"))


def test_a_guardrail_action_is_notified_with_its_triggers(lotty, admin, make_user, clock, sink):
    approver = make_user("approver")
    define(admin, approver)
    subscribe(
        admin,
        "webhook",
        {"url": f"{sink.url}/hook"},
        event="guardrail_triggered",
        scope={"experiment": "exp"},
    )
    body = {"metric": "crashes", "operator": ">=", "threshold": 1, "window_minutes": 60, "action": "pause"}
    assert admin.post(f"{API}/experiments/exp/guardrails", body).status_code == 201
    write_events(lotty, EVENTS)
    clock.now = at(2)
    assert [a.action for a in check_guardrails(lotty).actions] == ["pause"]
    queued = deliveries(admin, event="guardrail_triggered")
    assert [d["status"] for d in queued] == ["pending"]
    trigger = admin.get(f"{API}/experiments/exp/guardrail-triggers").json()["items"][0]
    assert deliver_notifications(lotty).sent == 1
    (received,) = sink.received
    payload = received.json()
    assert payload["event"] == "guardrail_triggered" and payload["experiment"] == "exp"
    assert payload["data"]["action"] == "pause" and payload["data"]["status"] == "paused"
    assert payload["data"]["guardrail"] == trigger["guardrail"]
    (sent_trigger,) = payload["data"]["triggers"]
    assert {k: sent_trigger[k] for k in ("id", "variant", "metric", "observed_value", "samples")} == {
        k: trigger[k] for k in ("id", "variant", "metric", "observed_value", "samples")
    }
    assert "was paused by guardrail" in payload["text"] and "crashes >= 1" in payload["text"]


def test_a_sample_ratio_mismatch_is_notified_once_per_dedup_window(lotty, admin, make_user, clock):
    approver = make_user("approver")
    define(admin, approver)
    subscribe(admin, "webhook", {"url": "http://127.0.0.1:9/x"}, event="srm_detected", dedup_minutes=60)
    skewed = [("exposure", f"s{i}", f"d{i}", at(0, 5), {}) for i in range(300)]
    write_events(lotty, skewed, prefix="srm", variants=dict.fromkeys((e[1] for e in skewed), "treat"))
    clock.now = at(1)
    check_guardrails(lotty)
    check_guardrails(lotty)
    queued = deliveries(admin, event="srm_detected")
    assert [d["status"] for d in queued] == ["suppressed", "pending"]
    data = queued[1]["payload"]["data"]
    assert data["observed"] == {"control": 0, "treat": 300} and data["p_value"] < 1e-6
    clock.advance(minutes=61)
    check_guardrails(lotty)
    assert [d["status"] for d in deliveries(admin, event="srm_detected")] == [
        "pending",
        "suppressed",
        "pending",
    ]


def test_no_sample_ratio_is_read_without_a_rule_listening(lotty, admin, make_user, clock):
    define(admin, make_user("approver"))
    skewed = [("exposure", f"s{i}", f"d{i}", at(0, 5), {}) for i in range(300)]
    write_events(lotty, skewed, prefix="srm", variants=dict.fromkeys((e[1] for e in skewed), "treat"))
    clock.now = at(1)
    check_guardrails(lotty)
    assert deliveries(admin) == []


def test_the_scheduler_runs_the_outbox_every_interval(lotty):
    job = create_scheduler(lotty).get_job("notification-outbox")
    assert job.func is deliver_notifications
    assert (
        job.trigger.interval
        == timedelta(seconds=lotty.settings.notification_interval_seconds)
        == timedelta(seconds=10)
    )


def test_finished_deliveries_are_forgotten_after_90_days_pending_ones_never(
    lotty, admin, make_user, clock, sink
):
    subscribe(admin, "webhook", {"url": f"{sink.url}/hook"})
    a_status_change(admin, make_user)  # three deliveries
    deliver_notifications(lotty)
    sink.status = 503
    assert admin.post(f"{API}/experiments/exp/pause").status_code == 200  # a fourth, which keeps failing
    deliver_notifications(lotty)
    clock.advance(days=89)
    assert prune_notification_log(lotty) == 0
    clock.advance(days=2)
    assert prune_notification_log(lotty) == 3
    assert [d["status"] for d in deliveries(admin)] == ["pending"]
    assert create_scheduler(lotty).get_job("notification-log-pruning").func is prune_notification_log


def test_a_channel_test_reports_whether_it_got_through(lotty, admin, make_user, sink):
    working = subscribe(admin, "slack", {"url": f"{sink.url}/services/T/B/x"})
    dead = subscribe(admin, "telegram", {"bot_token": "7:s3cret", "chat_id": 1, "api_url": closed_port_url()})
    answer = admin.post(f"{CHANNELS}/{working}/test")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"channel": working, "sent": True, "response_status": 200, "error": None}
    (received,) = sink.received
    assert received.json()["text"].startswith(f"[Lotty] Test message for channel '{working}'")
    failed = admin.post(f"{CHANNELS}/{dead}/test").json()
    assert failed["sent"] is False and failed["response_status"] is None
    assert "could not reach" in failed["error"] and "s3cret" not in failed["error"]
    sink.status = 403
    refused = admin.post(f"{CHANNELS}/{working}/test").json()
    assert (refused["sent"], refused["response_status"]) == (False, 403)
    assert deliveries(admin) == []  # tests are not deliveries
    assert make_user("experimenter").post(f"{CHANNELS}/{working}/test").status_code == 403
    assert admin.post(f"{CHANNELS}/nope/test").status_code == 404
