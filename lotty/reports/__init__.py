"""Experiment reports (SPEC §5): per-variant values of every metric with lifts, intervals, p-values
and the sample-ratio check, over a window of event time, as JSON, CSV, a table or Polars frames.

SQL (`sql/reports/`) computes per-variant sufficient statistics in one pass; `assembly` turns them
into a `Report` with lotty.stats (pure); `render` flattens it. See docs/reports.md.
"""

from lotty.reports.assembly import assemble_report
from lotty.reports.model import BUCKETS, MetricDefinition, MetricResult, Report, SeriesPoint, VariantResult
from lotty.reports.render import ReportFrames, metric_rows, render_csv, render_table, report_frames
from lotty.reports.service import (
    build_report,
    instance_report,
    parse_time,
    read_report,
    request_report,
)

__all__ = [
    "BUCKETS",
    "MetricDefinition",
    "MetricResult",
    "Report",
    "ReportFrames",
    "SeriesPoint",
    "VariantResult",
    "assemble_report",
    "build_report",
    "instance_report",
    "metric_rows",
    "parse_time",
    "read_report",
    "render_csv",
    "render_table",
    "report_frames",
    "request_report",
]
