"""The notification outbox job: send what is due, retry what failed (SPEC §6)."""

from __future__ import annotations

import logging

from lotty.instance import Lotty
from lotty.notifications.delivery import DeliveryRun, RetryPolicy, deliver_due, prune_deliveries

log = logging.getLogger("lotty.jobs")


def deliver_notifications(lotty: Lotty) -> DeliveryRun:
    settings = lotty.settings
    policy = RetryPolicy(settings.notification_max_attempts, settings.notification_retry_seconds)
    run = deliver_due(lotty.store, policy, lotty.clock, on_attempt=lotty.metrics.count_notification_attempt)
    if run.retrying or run.failed:
        log.warning(
            "notification outbox: %d sent, %d to retry, %d failed", run.sent, run.retrying, run.failed
        )
    elif run.sent:
        log.info("notification outbox: %d sent", run.sent)
    return run


def prune_notification_log(lotty: Lotty) -> int:
    removed = prune_deliveries(lotty.store, lotty.clock())
    if removed:
        log.info("notification log: forgot %d finished deliveries older than 90 days", removed)
    return removed
