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
    settings = lotty.settings
    jobs = (  # (job id, function, seconds between runs)
        ("lake-flush", flush_lake, settings.flush_interval_seconds),
        ("lake-compaction", compact_lake, COMPACT_INTERVAL_SECONDS),
        ("guardrail-check", check_guardrails, settings.guardrail_interval_seconds),
        ("notification-outbox", deliver_notifications, settings.notification_interval_seconds),
        ("notification-log-pruning", prune_notification_log, COMPACT_INTERVAL_SECONDS),
    )
    for job_id, function, seconds in jobs:
        scheduler.add_job(function, "interval", args=[lotty], id=job_id, seconds=seconds)
    return scheduler
