"""/metrics, request ids, access logs, CORS, and no secret in any log line (SPEC §7)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from lotty.catalog.users import bootstrap_admin
from lotty.instance import Lotty
from lotty.logs import JsonFormatter
from lotty.settings import Settings
from tests.api.test_decide import start_experiment
from tests.conftest import ADMIN_KEY, Caller, FakeClock

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient[Any]) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def access_lines() -> Iterator[list[logging.LogRecord]]:
    """Records of the `lotty.access` logger (propagation off, so nothing else sees them)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("lotty.access")
    handler = Keep()
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield records
    logger.removeHandler(handler)
    logger.setLevel(saved[0])
    logger.propagate = saved[1]


# -- /metrics --------------------------------------------------------------------------------------


def test_metrics_need_no_key_and_speak_prometheus_text(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {
        "lotty_http_requests",
        "lotty_http_request_duration_seconds",
        "lotty_decisions",
        "lotty_events",
        "lotty_guardrail_checks",
        "lotty_guardrail_triggers",
        "lotty_write_queue_depth",
        "lotty_writer_apply_lag_seconds",
        "lotty_info",
        "process_resident_memory_bytes",
    } <= names


def test_metrics_answer_openmetrics_when_asked(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def test_requests_are_counted_and_timed_per_route_template_method_and_status(admin):
    for key in ("one", "two", "three"):
        assert admin.get(f"/api/v1/flags/{key}").status_code == 404
    assert admin.post("/api/v1/flags", {"key": "one", "type": "string", "default": "x"}).status_code == 201
    assert Caller(admin.client, None).get("/api/v1/flags/one").status_code == 401
    samples = scrape(admin.client)
    route = "/api/v1/flags/{key}"
    assert value(samples, "lotty_http_requests_total", route=route, method="GET", status="404") == 3
    assert value(samples, "lotty_http_requests_total", route=route, method="GET", status="401") == 1
    assert (
        value(samples, "lotty_http_requests_total", route="/api/v1/flags", method="POST", status="201") == 1
    )
    count = value(samples, "lotty_http_request_duration_seconds_count", route=route, method="GET")
    infinite = value(
        samples, "lotty_http_request_duration_seconds_bucket", route=route, method="GET", le="+Inf"
    )
    assert count == infinite == 4
    assert 0 < value(samples, "lotty_http_request_duration_seconds_sum", route=route, method="GET") < 10
    # no concrete path (with its keys) ever becomes a label
    assert not any("/flags/one" in dict(labels).get("route", "") for _, labels in samples)


def test_decisions_are_counted_by_reason(admin, make_user):
    start_experiment(admin, make_user("approver"), targeting='country IN ["RU"]')
    assert admin.post("/api/v1/flags", {"key": "plain", "type": "string", "default": "x"}).status_code == 201
    flags = ["button_color", "plain", "missing"]
    for subject, country in (("u-1", "RU"), ("u-2", "RU"), ("u-3", "US")):
        body = {"subject_id": subject, "attributes": {"country": country}, "flags": flags}
        assert admin.post("/api/v1/decide", body).status_code == 200
    samples = scrape(admin.client)
    assert value(samples, "lotty_decisions_total", reason="experiment_assigned") == 2
    assert value(samples, "lotty_decisions_total", reason="targeting_mismatch") == 1
    assert value(samples, "lotty_decisions_total", reason="no_active_experiment") == 3
    assert value(samples, "lotty_decisions_total", reason="flag_not_found") == 3
    assert value(samples, "lotty_decisions_total", reason="participation_limit") == 0  # present at zero


def test_event_and_guardrail_counters_start_at_zero_and_count_what_they_are_told(client, lotty):
    samples = scrape(client)
    for outcome in ("accepted", "duplicate", "rejected"):
        assert (("lotty_events_total", frozenset({("outcome", outcome)}))) in samples
    assert value(samples, "lotty_guardrail_triggers_total", action="rollback") == 0
    lotty.metrics.count_events(accepted=5, duplicates=2)
    lotty.metrics.count_events(accepted=1, rejected=3)
    lotty.metrics.count_guardrail_check()
    lotty.metrics.count_guardrail_check("error")
    lotty.metrics.count_guardrail_trigger("pause")
    samples = scrape(client)
    assert value(samples, "lotty_events_total", outcome="accepted") == 6
    assert value(samples, "lotty_events_total", outcome="duplicate") == 2
    assert value(samples, "lotty_events_total", outcome="rejected") == 3
    assert value(samples, "lotty_guardrail_checks_total", outcome="ok") == 1
    assert value(samples, "lotty_guardrail_checks_total", outcome="error") == 1
    assert value(samples, "lotty_guardrail_triggers_total", action="pause") == 1


def test_write_queue_depth_and_apply_lag_are_read_at_scrape_time(client, lotty):
    lotty.writer.flush()  # an apply happens now, so the lag starts near zero
    samples = scrape(client)
    assert value(samples, "lotty_write_queue_depth") == 0
    assert 0 <= value(samples, "lotty_writer_apply_lag_seconds") < 5


def test_each_instance_counts_only_its_own_traffic(client, tmp_path):
    other = Lotty(Settings(data_dir=tmp_path / "other", secret="s" * 32), clock=FakeClock())
    try:
        with TestClient(create_app(lotty=other)) as other_client:
            other_client.get("/health")
            other_client.get("/health")
            client.get("/health")
            mine, theirs = scrape(client), scrape(other_client)
    finally:
        other.close()
    health = {"route": "/health", "method": "GET", "status": "200"}
    assert value(mine, "lotty_http_requests_total", **health) == 1
    assert value(theirs, "lotty_http_requests_total", **health) == 2


def test_before_the_data_dir_is_open_routes_answer_503_not_400(lotty):
    app = create_app(lotty=lotty)
    with TestClient(app) as client:
        app.state.lotty = None
        metrics = client.get("/metrics")
        flags = client.get("/api/v1/flags", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert metrics.status_code == 503 and flags.status_code == 503
    assert flags.json()["error"]["code"] == "NOT_READY"


# -- request ids and access logs --------------------------------------------------------------------


def test_every_answer_carries_a_request_id_and_a_sane_one_is_kept(client):
    first, second = client.get("/health"), client.get("/health")
    assert first.headers["x-request-id"] and first.headers["x-request-id"] != second.headers["x-request-id"]
    assert client.get("/health", headers={"X-Request-ID": "edge-42.a"}).headers["x-request-id"] == "edge-42.a"
    replaced = client.get("/health", headers={"X-Request-ID": "x" * 65}).headers["x-request-id"]
    assert replaced != "x" * 65


def test_one_access_line_per_request_with_route_template_method_status_and_ms(admin, access_lines):
    admin.client.get("/api/v1/flags/nope", headers={**admin._headers(), "X-Request-ID": "req-1"})
    (line,) = [r for r in access_lines if r.__dict__.get("route") == "/api/v1/flags/{key}"]
    assert (line.getMessage(), line.levelno) == ("request", logging.INFO)
    assert (line.__dict__["method"], line.__dict__["status"]) == ("GET", 404)
    assert isinstance(line.__dict__["ms"], float) and line.__dict__["ms"] >= 0
    formatted = json.loads(JsonFormatter().format(line))
    assert formatted["request_id"] == "req-1"
    assert "/api/v1/flags/nope" not in json.dumps(formatted)


def test_access_log_can_be_switched_off(settings, clock, access_lines):
    quiet = Settings(data_dir=settings.data_dir, secret=settings.secret, access_log=False)
    instance = Lotty(quiet, clock=clock)
    try:
        with TestClient(create_app(lotty=instance)) as client:
            client.get("/health")
            samples = scrape(client)
    finally:
        instance.close()
    assert access_lines == []
    assert value(samples, "lotty_http_requests_total", route="/health", method="GET", status="200") == 1


def test_a_server_error_is_logged_once_with_the_request_id_and_counted_as_500(admin, lotty, monkeypatch):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("lotty.api")
    logger.addHandler(handler)

    def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(lotty.decider, "decide", broken)
    try:
        response = admin.client.post(
            "/api/v1/decide",
            json={"subject_id": "u-1"},
            headers={**admin._headers(), "X-Request-ID": "boom-1"},
        )
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["request_id"] == "boom-1" and "disk on fire" in line["error"]
    samples = scrape(admin.client)
    assert (
        value(samples, "lotty_http_requests_total", route="/api/v1/decide", method="POST", status="500") == 1
    )


def test_no_key_or_secret_reaches_the_logs(tmp_path, clock):
    admin_key = "lotty_" + "k" * 43
    configured = Settings(data_dir=tmp_path / "data", secret="signing-secret-0123456789", admin_key=admin_key)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())  # told no secrets: what stays out, stays out by construction
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    instance = Lotty(configured, clock=clock)
    try:
        bootstrap_admin(instance.store, admin_key, clock())
        with TestClient(create_app(lotty=instance)) as client:
            admin = Caller(client, admin_key)
            created = admin.post("/api/v1/users", {"name": "sdk", "role": "sdk"}).json()["api_key"]
            sdk = Caller(client, created)
            sdk.post("/api/v1/decide", {"subject_id": "u-1"})
            sdk.get("/api/v1/flags")  # 403
            Caller(client, "lotty_" + "w" * 43).get("/api/v1/flags")  # 401
            admin.post(f"/api/v1/users/{admin.get('/api/v1/users').json()['items'][0]['id']}/keys")
            admin.post("/api/v1/flags", {"key": admin_key, "type": "string", "default": "x"})  # 400
    finally:
        instance.close()
        root.removeHandler(handler)
        root.setLevel(saved_level)
    text = stream.getvalue()
    assert '"event":"request"' in text  # the access lines were captured
    for secret in (admin_key, created, "lotty_" + "w" * 43, "signing-secret-0123456789", "Bearer"):
        assert secret not in text


# -- CORS ----------------------------------------------------------------------------------------------


def test_cors_is_off_unless_origins_are_configured(client):
    response = client.get("/health", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


def test_configured_origins_get_cors_answers_and_others_do_not(settings, clock):
    configured = Settings(
        data_dir=settings.data_dir,
        secret=settings.secret,
        cors_origins="https://app.example, http://localhost:3000",
    )
    instance = Lotty(configured, clock=clock)
    try:
        with TestClient(create_app(lotty=instance)) as client:
            preflight = client.options(
                "/api/v1/decide",
                headers={
                    "Origin": "https://app.example",
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization, content-type",
                },
            )
            simple = client.get("/health", headers={"Origin": "http://localhost:3000"})
            stranger = client.get("/health", headers={"Origin": "https://evil.example"})
    finally:
        instance.close()
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert simple.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "etag" in simple.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in stranger.headers


def test_events_by_outcome_and_lake_flush_lag_are_exported(admin, make_user, lotty):
    from tests.api.test_decide import start_experiment

    start_experiment(admin, make_user("approver"))
    decision = admin.post("/api/v1/decide", {"subject_id": "u-1", "flags": ["button_color"]}).json()[
        "decisions"
    ][0]
    event = {
        "event_id": "ev-1",
        "event_type": "exposure",
        "decision_id": decision["decision_id"],
        "subject_id": "u-1",
        "timestamp": lotty.clock().isoformat(),
        "properties": {},
    }
    assert admin.post("/api/v1/events", {"events": [event, event]}).json()["accepted"] == 1
    text = admin.client.get("/metrics").text
    assert 'lotty_events_total{outcome="accepted"} 1.0' in text
    assert 'lotty_events_total{outcome="duplicate"} 1.0' in text
    assert "lotty_lake_flush_lag_seconds " in text
