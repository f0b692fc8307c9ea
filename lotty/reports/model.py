"""What a report is (SPEC §5): msgspec Structs that encode to exactly the documented JSON shape."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

Bucket = Literal["minute", "hour", "day"]
BUCKETS: tuple[str, ...] = ("minute", "hour", "day")


class MetricDefinition(msgspec.Struct, kw_only=True, frozen=True):
    """One metric a report covers, as `sql/reports/experiment_metrics.sql` returns it."""

    metric: str
    kind: str
    event_type: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    property: str | None = None
    percentile: float | None = None
    higher_is_better: bool = True
    guardrail: bool = False

    def sql_struct(self) -> dict[str, object]:
        """The element of the `metrics` list parameter of reports/variant_statistics."""
        return {
            "metric": self.metric,
            "kind": self.kind,
            "event_type": self.event_type,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "property": self.property,
            "percentile": self.percentile,
        }


class MetricResult(msgspec.Struct, kw_only=True):
    """One metric of one variant; lift, interval and p-value compare it with control (null there)."""

    value: float | None
    n: int
    lift: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    significant: bool = False


class VariantResult(msgspec.Struct, kw_only=True):
    variant: str
    control: bool
    exposures: int
    subjects: int
    metrics: dict[str, MetricResult]


class SeriesValue(msgspec.Struct, kw_only=True):
    value: float | None
    n: int


class SeriesPoint(msgspec.Struct, kw_only=True):
    """One variant in one time bucket: the subjects exposed so far and the bucket's metric values."""

    bucket_start: datetime
    variant: str
    subjects: int
    metrics: dict[str, SeriesValue]


class SrmSummary(msgspec.Struct, kw_only=True):
    p_value: float | None
    expected: dict[str, float]
    observed: dict[str, int]
    mismatch: bool


class Report(msgspec.Struct, kw_only=True):
    experiment: str
    from_: datetime = msgspec.field(name="from")
    to: datetime
    status: str
    srm: SrmSummary
    variants: list[VariantResult]
    series: list[SeriesPoint]
