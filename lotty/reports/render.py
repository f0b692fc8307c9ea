"""Flat forms of a report: rows (one per variant x metric), CSV, Polars frames, a text table."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from lotty.reports.model import MetricDefinition, Report

ROW_COLUMNS = (
    "experiment",
    "from",
    "to",
    "variant",
    "control",
    "exposures",
    "subjects",
    "metric",
    "kind",
    "guardrail",
    "value",
    "n",
    "per_subject",
    "lift",
    "ci_low",
    "ci_high",
    "p_value",
    "significant",
)


def metric_rows(report: Report, definitions: Sequence[MetricDefinition]) -> list[dict[str, Any]]:
    """One row per variant x metric, in the report's order. `per_subject` is the per-exposed-subject
    mean of count and sum metrics (what their lift compares); null for the other kinds."""
    rows = []
    for variant in report.variants:
        for d in definitions:
            result = variant.metrics[d.metric]
            per_subject = None
            if d.kind in ("count", "sum") and variant.subjects and result.value is not None:
                per_subject = result.value / variant.subjects
            rows.append(
                {
                    "experiment": report.experiment,
                    "from": report.from_,
                    "to": report.to,
                    "variant": variant.variant,
                    "control": variant.control,
                    "exposures": variant.exposures,
                    "subjects": variant.subjects,
                    "metric": d.metric,
                    "kind": d.kind,
                    "guardrail": d.guardrail,
                    "value": result.value,
                    "n": result.n,
                    "per_subject": per_subject,
                    "lift": result.lift,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "p_value": result.p_value,
                    "significant": result.significant,
                }
            )
    return rows


def series_rows(report: Report) -> list[dict[str, Any]]:
    """One row per bucket x variant x metric."""
    return [
        {
            "bucket_start": point.bucket_start,
            "variant": point.variant,
            "subjects": point.subjects,
            "metric": key,
            "value": value.value,
            "n": value.n,
        }
        for point in report.series
        for key, value in point.metrics.items()
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    return repr(value) if isinstance(value, float) else str(value)


def render_csv(report: Report, definitions: Sequence[MetricDefinition]) -> str:
    """RFC 4180 CSV with a header; empty cells are nulls; times RFC 3339 UTC; booleans true/false."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ROW_COLUMNS)
    for row in metric_rows(report, definitions):
        writer.writerow([_cell(row[c]) for c in ROW_COLUMNS])
    return out.getvalue()


_METRIC_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "experiment": pl.String,
    "from": pl.Datetime("us", "UTC"),
    "to": pl.Datetime("us", "UTC"),
    "variant": pl.String,
    "control": pl.Boolean,
    "exposures": pl.Int64,
    "subjects": pl.Int64,
    "metric": pl.String,
    "kind": pl.String,
    "guardrail": pl.Boolean,
    "value": pl.Float64,
    "n": pl.Int64,
    "per_subject": pl.Float64,
    "lift": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_value": pl.Float64,
    "significant": pl.Boolean,
}
_SERIES_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "bucket_start": pl.Datetime("us", "UTC"),
    "variant": pl.String,
    "subjects": pl.Int64,
    "metric": pl.String,
    "value": pl.Float64,
    "n": pl.Int64,
}


@dataclass(frozen=True)
class ReportFrames:
    """`lotty.report(...)`: the report as Polars frames, and the report itself."""

    metrics: pl.DataFrame  # one row per variant x metric (the CSV's rows)
    series: pl.DataFrame  # one row per bucket x variant x metric
    srm: dict[str, Any]
    report: Report


def report_frames(report: Report, definitions: Sequence[MetricDefinition]) -> ReportFrames:
    return ReportFrames(
        metrics=pl.DataFrame(metric_rows(report, definitions), schema=_METRIC_SCHEMA, orient="row"),
        series=pl.DataFrame(series_rows(report), schema=_SERIES_SCHEMA, orient="row"),
        srm={
            "p_value": report.srm.p_value,
            "expected": report.srm.expected,
            "observed": report.srm.observed,
            "mismatch": report.srm.mismatch,
        },
        report=report,
    )


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_table(report: Report, definitions: Sequence[MetricDefinition]) -> str:
    """A plain-text table for terminals (`lotty report --format table`)."""
    srm = report.srm
    p_value = "-" if srm.p_value is None else f"{srm.p_value:.4g}"
    lines = [
        f"experiment {report.experiment} ({report.status}), {_cell(report.from_)} to {_cell(report.to)}",
        f"SRM p={p_value}{'  MISMATCH' if srm.mismatch else ''}  observed {srm.observed}",
    ]
    columns = ("variant", "metric", "value", "n", "lift", "ci_low", "ci_high", "p_value", "significant")
    body = [[_short(row[c]) for c in columns] for row in metric_rows(report, definitions)]
    widths = [max(len(c), *(len(r[i]) for r in body)) if body else len(c) for i, c in enumerate(columns)]
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines)
