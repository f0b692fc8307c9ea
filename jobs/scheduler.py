"""The APScheduler 3.x scheduler started inside `lotty serve`.

Every job is a plain function of `jobs/` taking the `Lotty`; a job that raises is logged by
APScheduler and simply runs again at its next tick. `max_instances=1` and `coalesce=True`: a slow
run never overlaps the next, and missed runs collapse into one.
"""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from jobs.guardrails import check_guardrails
from jobs.lake import compact_lake, flush_lake
from jobs.notifications import deliver_notifications, prune_notification_log
from lotty.instance import Lotty

COMPACT_INTERVAL_SECONDS = 3600


def create_scheduler(lotty: Lotty) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
    )
    scheduler.add_job(
        flush_lake, "interval", args=[lotty], id="lake-flush", seconds=lotty.settings.flush_interval_seconds
    )
    scheduler.add_job(
        compact_lake, "interval", args=[lotty], id="lake-compaction", seconds=COMPACT_INTERVAL_SECONDS
    )
    scheduler.add_job(
        check_guardrails,
        "interval",
        args=[lotty],
        id="guardrail-check",
        seconds=lotty.settings.guardrail_interval_seconds,
    )
    scheduler.add_job(
        deliver_notifications,
        "interval",
        args=[lotty],
        id="notification-outbox",
        seconds=lotty.settings.notification_interval_seconds,
    )
    scheduler.add_job(
        prune_notification_log,
        "interval",
        args=[lotty],
        id="notification-log-pruning",
        seconds=COMPACT_INTERVAL_SECONDS,
    )
    return scheduler
