"""Building a report: check the request, read the statistics with SQL, assemble them (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from lotty.auth import Principal, require_reader
from lotty.catalog.common import naive
from lotty.catalog.experiments import require_experiment
from lotty.errors import ValidationError
from lotty.model import Experiment
from lotty.reports.assembly import assemble_report
from lotty.reports.model import BUCKETS, MetricDefinition, Report
from lotty.stats import norm_ppf
from lotty.store import Store

if TYPE_CHECKING:
    from lotty.instance import Lotty

ALPHA = 0.05
MAX_BUCKETS = 20_000  # series rows per variant a window may ask for (a week of minutes is 10,080)
BUCKET_SIZE = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def parse_time(text: datetime | str | None, field: str) -> datetime | None:
    """An RFC 3339 time from a query string (`Z` or an offset; a time without one is UTC)."""
    if isinstance(text, datetime):
        return text if text.tzinfo is not None else text.replace(tzinfo=UTC)
    if text is None or text == "":
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ValidationError(
            f"{field} must be an RFC 3339 time such as 2026-11-21T12:00:00Z, got {text!r}", field=field
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def check_bucket(bucket: str) -> str:
    if bucket not in BUCKETS:
        raise ValidationError(
            f"bucket must be one of {', '.join(BUCKETS)}, got {bucket!r}",
            field="bucket",
            details={"allowed": list(BUCKETS)},
        )
    return bucket


def report_window(
    experiment: Experiment, from_: datetime | None, to: datetime | None, bucket: str, now: datetime
) -> tuple[datetime, datetime]:
    """[from, to) in UTC: by default from the experiment's start (its creation if it never started)
    to now. from >= to, or more buckets than MAX_BUCKETS, is a ValidationError (400)."""
    start = from_ or experiment.started_at or experiment.created_at
    end = to or now
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start >= end:
        raise ValidationError(
            f"the window is empty: from ({start.isoformat()}) must be before to ({end.isoformat()})",
            code="INVALID_WINDOW",
            field="from",
            details={"from": start.isoformat(), "to": end.isoformat()},
        )
    if (end - start) / BUCKET_SIZE[bucket] > MAX_BUCKETS:
        raise ValidationError(
            f"a {bucket} series over this window has more than {MAX_BUCKETS} buckets; use a coarser bucket",
            field="bucket",
            details={"max_buckets": MAX_BUCKETS},
        )
    return start, end


def read_report(
    store: Store,
    experiment_key: str,
    from_: datetime | None,
    to: datetime | None,
    bucket: str,
    now: datetime,
) -> tuple[Report, list[MetricDefinition]]:
    """The report and the definitions of the metrics it covers (the CSV and frames need their kinds)."""
    check_bucket(bucket)
    with store.read() as tx:
        experiment = require_experiment(tx, experiment_key)
        start, end = report_window(experiment, from_, to, bucket, now)
        definitions = [
            msgspec.convert(row, MetricDefinition)
            for row in tx.fetch_all("reports/experiment_metrics", experiment=experiment_key)
        ]
        rows: list[dict[str, Any]] = tx.fetch_all(
            "reports/variant_statistics",
            experiment=experiment_key,
            from_ts=naive(start),
            to_ts=naive(end),
            bucket=bucket,
            z=norm_ppf(1.0 - ALPHA / 2.0),
            metrics=[d.sql_struct() for d in definitions],
        )
    return assemble_report(experiment, definitions, rows, start, end, alpha=ALPHA), definitions


def build_report(
    store: Store,
    experiment_key: str,
    from_: datetime | None,
    to: datetime | None,
    bucket: str,
    now: datetime,
) -> Report:
    """The SPEC §5 report of one experiment over [from_, to) of event time (defaults: start, now).

    Unknown experiment: NotFoundError (404); from >= to or an unknown bucket: ValidationError (400).
    Reads what is in the database: callers that write through the fact writer flush it first.
    """
    return read_report(store, experiment_key, from_, to, bucket, now)[0]


def instance_report(
    lotty: Lotty,
    experiment_key: str,
    from_: datetime | str | None = None,
    to: datetime | str | None = None,
    bucket: str = "hour",
) -> tuple[Report, list[MetricDefinition]]:
    """A report on an open Lotty: its fact writer is flushed first, so every accepted event counts."""
    start, end = parse_time(from_, "from"), parse_time(to, "to")
    check_bucket(bucket)
    if lotty.writer is not None:
        lotty.writer.flush()
    return read_report(lotty.store, experiment_key, start, end, bucket, lotty.clock())


def request_report(
    lotty: Lotty,
    actor: Principal,
    experiment_key: str,
    from_: str | None,
    to: str | None,
    bucket: str,
) -> tuple[Report, list[MetricDefinition]]:
    """GET /experiments/{key}/report: any reader (every role but sdk)."""
    require_reader(actor)
    return instance_report(lotty, experiment_key, from_, to, bucket)
