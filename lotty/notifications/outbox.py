"""The outbox: an occurrence becomes one delivery row per matching rule, in the transaction that
recorded the fact, so a notification is queued exactly when its cause commits.

Each rule decides alone: a delivery repeating one of the rule's pending or sent deliveries of the
same fact (dedup key) within `dedup_minutes`, or beyond `rate_limit_per_hour` queued in the last
hour, is recorded as `suppressed` with the reason and never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lotty.catalog.common import naive, new_id, to_json
from lotty.notifications.occurrences import Occurrence, in_scope
from lotty.store import Tx

RATE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Admission:
    status: str  # "pending" | "suppressed"
    reason: str | None = None


def admit(
    dedup_minutes: int, rate_limit_per_hour: int | None, duplicate_of: str | None, queued_last_hour: int
) -> Admission:
    """Pure: whether one rule sends an occurrence, given what it already queued."""
    if duplicate_of is not None:
        return Admission(
            "suppressed",
            f"duplicate of delivery {duplicate_of} within the {dedup_minutes}-minute dedup window",
        )
    if rate_limit_per_hour is not None and queued_last_hour >= rate_limit_per_hour:
        return Admission("suppressed", f"rate limit of {rate_limit_per_hour} per hour reached")
    return Admission("pending")


def enqueue(tx: Tx, occurrence: Occurrence, now: datetime) -> list[str]:
    """Queue `occurrence` for every rule that hears it (inside the caller's transaction); returns
    the delivery ids written, suppressed ones included."""
    written = []
    for rule in tx.fetch_all("notifications/rules_for_event", event=occurrence.event):
        if not in_scope(rule["scope_kind"], rule["scope_key"], occurrence):
            continue
        admission = admit(
            rule["dedup_minutes"],
            rule["rate_limit_per_hour"],
            _duplicate(tx, rule, occurrence, now),
            _queued_last_hour(tx, rule, now),
        )
        delivery_id = new_id("dlv")
        tx.execute(
            "notifications/insert_delivery",
            id=delivery_id,
            rule=rule["id"],
            channel=rule["channel"],
            event=occurrence.event,
            experiment=occurrence.experiment,
            dedup_key=occurrence.dedup_key,
            payload=to_json(occurrence.payload()),
            status=admission.status,
            next_attempt_at=naive(now) if admission.status == "pending" else None,
            last_error=admission.reason,
            now=naive(now),
        )
        written.append(delivery_id)
    return written


def _duplicate(tx: Tx, rule: dict[str, Any], occurrence: Occurrence, now: datetime) -> str | None:
    if rule["dedup_minutes"] <= 0:
        return None
    since = naive(now - timedelta(minutes=rule["dedup_minutes"]))
    row = tx.fetch_one(
        "notifications/recent_duplicate", rule=rule["id"], dedup_key=occurrence.dedup_key, since=since
    )
    return None if row is None else str(row["id"])


def _queued_last_hour(tx: Tx, rule: dict[str, Any], now: datetime) -> int:
    if rule["rate_limit_per_hour"] is None:  # no limit: nothing to count
        return 0
    return int(tx.fetch_value("notifications/count_recent", rule=rule["id"], since=naive(now - RATE_WINDOW)))
