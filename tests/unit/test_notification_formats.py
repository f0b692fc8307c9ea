"""Pure parts of notifications: channel configs, masking, rendering per channel type, scope, the
dedup/rate-limit admission and the retry policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotty.errors import ValidationError
from lotty.notifications.delivery import RetryPolicy, SendResult, attempt_outcome
from lotty.notifications.formats import check_config, masked, redact, render
from lotty.notifications.occurrences import Occurrence, in_scope
from lotty.notifications.outbox import admit

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
OCCURRENCE = Occurrence(
    event="guardrail_triggered",
    occurred_at=NOW,
    experiment="checkout-cta",
    flag="cta",
    owner="usr_1",
    dedup_key="checkout-cta:grd_1",
    text="Experiment 'checkout-cta' was paused: errors > 0.05 <in> variant 'b' & more",
    data={"action": "pause"},
)
PAYLOAD = OCCURRENCE.payload()


@pytest.mark.parametrize(
    ("channel_type", "config", "field"),
    [
        ("webhook", {}, "config.url"),
        ("webhook", {"url": 1}, "config.url"),
        ("webhook", {"url": "ftp://host/x"}, "config.url"),
        ("webhook", {"url": "http:///nohost"}, "config.url"),
        ("webhook", {"url": "not a url"}, "config.url"),
        ("webhook", {"url": "http://h", "headers": {"X": 1}}, "config.headers"),
        ("webhook", {"url": "http://h", "headers": {"bad name": "v"}}, "config.headers"),
        ("webhook", {"url": "http://h", "headers": {"X": "a\r\nInjected: 1"}}, "config.headers"),
        ("webhook", {"url": "http://h", "secret": "x"}, "config.secret"),
        ("slack", {"url": "http://h", "headers": {}}, "config.headers"),
        ("telegram", {"chat_id": 1}, "config.bot_token"),
        ("telegram", {"bot_token": "123:abc"}, "config.chat_id"),
        ("telegram", {"bot_token": " ", "chat_id": 1}, "config.bot_token"),
        ("telegram", {"bot_token": "a/b", "chat_id": 1}, "config.bot_token"),
        ("telegram", {"bot_token": "1:a", "chat_id": ""}, "config.chat_id"),
        ("telegram", {"bot_token": "1:a", "chat_id": 1, "api_url": "nowhere"}, "config.api_url"),
        ("telegram", {"bot_token": "1:a", "chat_id": 1.5}, "config.chat_id"),
    ],
)
def test_bad_configs_name_the_field(channel_type, config, field):
    with pytest.raises(ValidationError) as raised:
        check_config(channel_type, config)
    assert raised.value.details["field"] == field, raised.value


def test_good_configs_are_stored_with_defaults():
    assert check_config("webhook", {"url": "https://example.com/hook"}) == {
        "url": "https://example.com/hook",
        "headers": {},
    }
    assert check_config("telegram", {"bot_token": "1:a", "chat_id": -100}) == {
        "bot_token": "1:a",
        "chat_id": -100,
        "api_url": "https://api.telegram.org",
    }


def test_secrets_are_masked_and_the_rest_shown():
    assert masked("webhook", {"url": "https://h/x", "headers": {"Authorization": "Bearer s3cret"}}) == {
        "url": "https://h/x",
        "headers": {"Authorization": "***"},
    }
    assert masked("slack", {"url": "https://hooks.slack.com/services/T0/B0/s3cret"}) == {
        "url": "https://hooks.slack.com/***"
    }
    shown = masked(
        "telegram", {"bot_token": "123:s3cret", "chat_id": 7, "api_url": "https://api.telegram.org"}
    )
    assert shown == {"bot_token": "***", "chat_id": 7, "api_url": "https://api.telegram.org"}


def test_a_webhook_gets_the_payload_with_its_headers():
    config = {"url": "https://h/hook", "headers": {"Authorization": "Bearer s"}}
    request = render("webhook", config, "dlv_1", PAYLOAD)
    assert request.url == "https://h/hook"
    assert json.loads(request.body) == {"delivery_id": "dlv_1", **PAYLOAD}
    assert request.headers["Authorization"] == "Bearer s"
    assert request.headers["X-Lotty-Event"] == "guardrail_triggered"
    assert request.headers["X-Lotty-Delivery"] == "dlv_1"
    assert request.headers["Content-Type"] == "application/json"


def test_slack_gets_escaped_text_and_blocks():
    body = json.loads(render("slack", {"url": "https://hooks.slack.com/x"}, "dlv_1", PAYLOAD).body)
    assert body["text"] == (
        "[Lotty] Experiment 'checkout-cta' was paused: errors &gt; 0.05 &lt;in&gt; variant 'b' &amp; more"
    )
    assert body["blocks"][0]["text"]["type"] == "mrkdwn"
    assert "&gt; 0.05" in body["blocks"][0]["text"]["text"]
    assert "experiment checkout-cta" in body["blocks"][1]["elements"][0]["text"]


def test_telegram_calls_send_message_with_the_chat_and_plain_text():
    config = {"bot_token": "123:tok", "chat_id": "@team", "api_url": "http://local:9/"}
    request = render("telegram", config, "dlv_1", PAYLOAD)
    assert request.url == "http://local:9/bot123:tok/sendMessage"
    body = json.loads(request.body)
    assert body == {
        "chat_id": "@team",
        "text": f"[Lotty] {PAYLOAD['text']}",
        "disable_web_page_preview": True,
    }


def test_long_telegram_text_is_cut_to_the_api_limit():
    long = {**PAYLOAD, "text": "x" * 10_000}
    body = json.loads(
        render("telegram", {"bot_token": "1:a", "chat_id": 1, "api_url": "http://h"}, "d", long).body
    )
    assert len(body["text"]) == 4096


def test_errors_never_carry_the_channel_secrets():
    config = {"bot_token": "123:tok", "headers": {"Authorization": "Bearer xyz"}}
    assert (
        redact("GET /bot123:tok/sendMessage failed; Bearer xyz", config)
        == "GET /bot***/sendMessage failed; ***"
    )


@pytest.mark.parametrize(
    ("kind", "key", "heard"),
    [
        (None, None, True),
        ("experiment", "checkout-cta", True),
        ("experiment", "other", False),
        ("flag", "cta", True),
        ("flag", "checkout-cta", False),
        ("owner", "usr_1", True),
        ("owner", "usr_2", False),
    ],
)
def test_scope(kind, key, heard):
    assert in_scope(kind, key, OCCURRENCE) is heard


@pytest.mark.parametrize(
    ("dedup", "limit", "duplicate", "queued", "status", "reason"),
    [
        (60, None, None, 10_000, "pending", None),
        (60, None, "dlv_0", 0, "suppressed", "duplicate of delivery dlv_0 within the 60-minute dedup window"),
        (0, 3, None, 2, "pending", None),
        (0, 3, None, 3, "suppressed", "rate limit of 3 per hour reached"),
        (30, 3, "dlv_0", 3, "suppressed", "duplicate of delivery dlv_0 within the 30-minute dedup window"),
    ],
)
def test_admission(dedup, limit, duplicate, queued, status, reason):
    admission = admit(dedup, limit, duplicate, queued)
    assert (admission.status, admission.reason) == (status, reason)


POLICY = RetryPolicy(max_attempts=4, first_delay_seconds=30)


@pytest.mark.parametrize(
    ("result", "attempts", "status", "retry_in", "error"),
    [
        (SendResult(200, None), 1, "sent", None, None),
        (SendResult(204, None), 4, "sent", None, None),
        (SendResult(None, "refused"), 1, "pending", 30, "refused"),
        (SendResult(None, "refused"), 2, "pending", 60, "refused"),
        (SendResult(None, "refused"), 3, "pending", 120, "refused"),
        (SendResult(None, "refused"), 4, "failed", None, "refused (gave up after 4 attempts)"),
        (SendResult(500, "HTTP 500"), 1, "pending", 30, "HTTP 500"),
        (SendResult(429, "HTTP 429"), 1, "pending", 30, "HTTP 429"),
        (SendResult(408, "HTTP 408"), 2, "pending", 60, "HTTP 408"),
        (SendResult(404, "HTTP 404"), 1, "failed", None, "HTTP 404 (not retried: the channel refused it)"),
        (SendResult(401, "HTTP 401"), 1, "failed", None, "HTTP 401 (not retried: the channel refused it)"),
    ],
)
def test_attempt_outcomes(result, attempts, status, retry_in, error):
    outcome = attempt_outcome(result, attempts, POLICY, NOW)
    assert outcome.status == status
    assert outcome.next_attempt_at == (None if retry_in is None else NOW + timedelta(seconds=retry_in))
    assert outcome.last_error == error


@given(st.integers(1, 7200), st.integers(1, 1000))
def test_retry_delays_double_and_stop_at_an_hour(first, attempts):
    policy = RetryPolicy(max_attempts=50, first_delay_seconds=first)
    delay = policy.delay(attempts)
    assert min(timedelta(seconds=first), timedelta(hours=1)) <= delay <= timedelta(hours=1)
    assert policy.delay(attempts + 1) >= delay
    if delay < timedelta(hours=1):
        assert policy.delay(attempts + 1) == min(2 * delay, timedelta(hours=1))
