"""Sending the outbox: every due delivery is rendered for its channel and POSTed; the answer
decides whether it is sent, retried later (doubling waits), or failed for good.

Nothing here holds the store lock while talking to the network: the due rows are read, sent
(a few at a time, each with a timeout), and each outcome is written in a short transaction.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lotty.auth import Principal, require_admin
from lotty.catalog.common import from_json, naive, new_id, require_row
from lotty.notifications.formats import HttpRequest, redact, render
from lotty.notifications.model import ChannelTestResult
from lotty.store import Store

SEND_TIMEOUT_SECONDS = 5.0
BATCH = 100
PARALLEL_SENDS = 8
MAX_DELAY = timedelta(hours=1)
# Answers that will not change if asked again: the channel is misconfigured (bad URL, bad token).
# 408 (timeout), 425 (too early) and 429 (rate limited) are worth retrying.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})
ERROR_LIMIT = 500
LOG_RETENTION = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    first_delay_seconds: int

    def delay(self, attempts_made: int) -> timedelta:
        """Wait after the `attempts_made`-th failed attempt: first delay, then doubling, at most 1 h."""
        seconds = self.first_delay_seconds * 2 ** min(attempts_made - 1, 32)  # bounded: no overflow
        return min(timedelta(seconds=seconds), MAX_DELAY)


@dataclass(frozen=True, slots=True)
class SendResult:
    status_code: int | None  # None: no HTTP answer (refused, timed out, bad address)
    error: str | None  # None: a 2xx answer

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    status: str  # "sent" | "pending" (retry) | "failed"
    next_attempt_at: datetime | None
    last_error: str | None


Sender = Callable[[HttpRequest, float], SendResult]


def attempt_outcome(
    result: SendResult, attempts_made: int, policy: RetryPolicy, now: datetime
) -> AttemptOutcome:
    """Pure: what one attempt's answer makes of the delivery."""
    if result.ok:
        return AttemptOutcome("sent", None, None)
    permanent = (
        result.status_code is not None
        and 400 <= result.status_code < 500
        and result.status_code not in RETRYABLE_CLIENT_ERRORS
    )
    if permanent or attempts_made >= policy.max_attempts:
        why = (
            "not retried: the channel refused it" if permanent else f"gave up after {attempts_made} attempts"
        )
        return AttemptOutcome("failed", None, f"{result.error} ({why})")
    return AttemptOutcome("pending", now + policy.delay(attempts_made), result.error)


def http_send(request: HttpRequest, timeout: float) -> SendResult:
    """POST the request; any 2xx is success. Never raises for network trouble: it is the answer."""
    outgoing = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as response:
            return SendResult(response.status, None)
    except urllib.error.HTTPError as error:
        body = error.read(200).decode("utf-8", "replace").strip()
        return SendResult(error.code, f"HTTP {error.code} {error.reason}" + (f": {body}" if body else ""))
    except urllib.error.URLError as error:
        return SendResult(None, f"could not reach {_origin(request.url)}: {error.reason}")
    except (TimeoutError, OSError, ValueError) as error:
        return SendResult(None, f"could not reach {_origin(request.url)}: {error}")


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@dataclass(frozen=True, slots=True)
class DeliveryRun:
    attempted: int
    sent: int
    retrying: int
    failed: int


def deliver_due(
    store: Store,
    policy: RetryPolicy,
    clock: Callable[[], datetime],
    send: Sender = http_send,
    *,
    on_attempt: Callable[[str], None] | None = None,
    limit: int = BATCH,
) -> DeliveryRun:
    """One run of the outbox: every delivery due now (at most `limit`), each attempted once."""
    with store.read() as tx:
        due = tx.fetch_all("notifications/due_deliveries", now=naive(clock()), limit=limit)
    if not due:
        return DeliveryRun(0, 0, 0, 0)
    live = [row for row in due if row["channel_type"] is not None]
    results: dict[str, SendResult] = {}
    if live:
        with ThreadPoolExecutor(max_workers=min(PARALLEL_SENDS, len(live))) as pool:
            sends = pool.map(lambda row: _send_queued(row, send), live)
            results = dict(zip((row["id"] for row in live), sends, strict=True))
    tally: Counter[str] = Counter()
    for row in due:
        now = clock()
        attempts = row["attempts"] + 1
        if row["channel_type"] is None:  # deleted since the delivery was queued: nothing to retry
            result = SendResult(None, f"channel {row['channel']!r} no longer exists")
            outcome = AttemptOutcome("failed", None, result.error)
        else:
            result = results[row["id"]]
            outcome = attempt_outcome(result, attempts, policy, now)
        with store.transaction(catalog=False) as tx:
            tx.execute(
                "notifications/record_attempt",
                id=row["id"],
                status=outcome.status,
                attempts=attempts,
                next_attempt_at=None if outcome.next_attempt_at is None else naive(outcome.next_attempt_at),
                last_error=None if outcome.last_error is None else outcome.last_error[:ERROR_LIMIT],
                response_status=result.status_code,
                sent_at=naive(now) if outcome.status == "sent" else None,
                now=naive(now),
            )
        label = "retry" if outcome.status == "pending" else outcome.status
        tally[label] += 1
        if on_attempt is not None:
            on_attempt(label)
    return DeliveryRun(len(due), tally["sent"], tally["retry"], tally["failed"])


def _send_queued(row: dict[str, Any], send: Sender) -> SendResult:
    return send_through(
        row["channel_type"], from_json(row["channel_config"]), row["id"], from_json(row["payload"]), send
    )


def send_through(
    channel_type: str, config: dict[str, Any], delivery_id: str, payload: dict[str, Any], send: Sender
) -> SendResult:
    """Render `payload` for the channel and send it once; the error (if any) carries none of the
    channel's secrets. A sender that raises is an attempt that failed, never a lost run."""
    try:
        result = send(render(channel_type, config, delivery_id, payload), SEND_TIMEOUT_SECONDS)
    except Exception as error:
        result = SendResult(None, f"{type(error).__name__}: {error}")
    if result.error is None:
        return result
    return SendResult(result.status_code, redact(result.error, config)[:ERROR_LIMIT])


def prune_deliveries(store: Store, now: datetime, keep: timedelta = LOG_RETENTION) -> int:
    """Forget finished deliveries older than `keep` (the log would otherwise grow forever);
    returns how many went."""
    with store.transaction(catalog=False) as tx:
        return int(tx.fetch_value("notifications/prune_deliveries", before=naive(now - keep)) or 0)


def send_test(
    store: Store, actor: Principal, key: str, now: datetime, send: Sender = http_send
) -> ChannelTestResult:
    """Send one test message through a channel now, outside the outbox (nothing is logged), so an
    admin sees at once whether the URL, token and headers work."""
    require_admin(actor, "test notification channels")
    with store.read() as tx:
        row = require_row(tx.fetch_one("notifications/get_channel", key=key), "channel", key)
    config: dict[str, Any] = from_json(row["config"])
    payload: dict[str, Any] = {
        "event": "channel_test",
        "occurred_at": now.isoformat(),
        "experiment": None,
        "flag": None,
        "owner": None,
        "text": f"Test message for channel {key!r}, sent by {actor.user_id}. It works.",
        "data": {},
    }
    result = send_through(row["type"], config, new_id("tst"), payload, send)
    return ChannelTestResult(
        channel=key, sent=result.ok, response_status=result.status_code, error=result.error
    )
