"""Pure assembly of a report from the rows of `sql/reports/variant_statistics.sql` and lotty.stats.

No I/O: the experiment, the metric definitions and the SQL rows come in, a `Report` comes out, so
every number a report shows can be checked by hand (tests/sql, tests/unit). docs/reports.md
describes each kind; docs/statistics.md the statistics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lotty.model import Experiment
from lotty.reports.model import (
    MetricDefinition,
    MetricResult,
    Report,
    SeriesPoint,
    SeriesValue,
    SrmSummary,
    VariantResult,
)
from lotty.stats import (
    Proportion,
    QuantileSample,
    Ratio,
    SampleMean,
    Statistic,
    compare,
    srm_test,
    value_of,
)

Row = Mapping[str, Any]
# (metric key or None for the population, variant, bucket start or None for the whole window)
RowKey = tuple[str | None, str, datetime | None]


def index_rows(rows: Iterable[Row]) -> dict[RowKey, Row]:
    return {(row["metric"], row["variant"], row["bucket_start"]): row for row in rows}


def _number(row: Row | None, column: str) -> float:
    value = None if row is None else row[column]
    return 0.0 if value is None else float(value)


def _count(row: Row | None, column: str) -> int:
    value = None if row is None else row[column]
    return 0 if value is None else int(value)


def statistic(definition: MetricDefinition, row: Row | None, subjects: int) -> Statistic | None:
    """The variant's sufficient statistic for one metric over the window (None: nothing to show)."""
    kind = definition.kind
    if kind in ("count", "sum"):
        return SampleMean(subjects, _number(row, "total"), _number(row, "total_squares"))
    if kind == "conversion":
        return Proportion(subjects, _count(row, "successes"))
    if kind == "ratio":
        return Ratio(
            subjects,
            _number(row, "total"),
            _number(row, "total_squares"),
            _number(row, "d_total"),
            _number(row, "d_total_squares"),
            _number(row, "cross_total"),
        )
    if kind == "average":
        return SampleMean(_count(row, "units"), _number(row, "total"), _number(row, "total_squares"))
    if kind == "percentile":
        if row is None or not row["units"] or row["value"] is None:
            return None
        assert definition.percentile is not None
        return QuantileSample(
            row["units"],
            definition.percentile,
            row["value"],
            row["lower"],
            row["upper"],
            row["level_low"],
            row["level_high"],
        )
    raise ValueError(f"unknown metric kind {kind!r}")


def reported_value(definition: MetricDefinition, stat: Statistic | None) -> float | None:
    """Count and sum show the variant total (SPEC §2.3); the others the statistic's value."""
    if stat is None:
        return None
    if definition.kind in ("count", "sum"):
        assert isinstance(stat, SampleMean)
        return stat.sum
    return value_of(stat)


def metric_result(
    definition: MetricDefinition, stat: Statistic | None, control: Statistic | None, *, alpha: float
) -> MetricResult:
    """`control` is None for the control variant itself: its lift, interval and p-value stay null."""
    result = MetricResult(value=reported_value(definition, stat), n=0 if stat is None else stat.n)
    if stat is None or control is None:
        return result
    comparison = compare(control, stat, alpha=alpha)
    result.lift = comparison.lift
    result.ci_low = comparison.ci_low
    result.ci_high = comparison.ci_high
    result.p_value = comparison.p_value
    result.significant = comparison.significant
    return result


def variant_order(experiment: Experiment, rows: Iterable[Row]) -> list[tuple[str, bool, float]]:
    """(name, control, weight) of the configured variants, then any variant only the data knows
    (a stale name from an earlier version: weight 0, so SRM flags it)."""
    order = [(v.name, v.control, v.weight) for v in experiment.variants]
    known = {name for name, _, _ in order}
    extra = sorted({row["variant"] for row in rows} - known)
    return order + [(name, False, 0.0) for name in extra]


def series_value(definition: MetricDefinition, row: Row | None, subjects: int) -> SeriesValue:
    """One metric in one bucket: the bucket's events of the subjects exposed by its end."""
    kind = definition.kind
    if kind in ("count", "sum"):
        return SeriesValue(value=_number(row, "total"), n=subjects)
    if kind == "conversion":
        return SeriesValue(value=_count(row, "successes") / subjects if subjects else None, n=subjects)
    if kind == "ratio":
        denominator = _number(row, "d_total")
        return SeriesValue(value=_number(row, "total") / denominator if denominator else None, n=subjects)
    units = _count(row, "units")
    if kind == "average":
        return SeriesValue(value=_number(row, "total") / units if units else None, n=units)
    return SeriesValue(value=None if row is None else row["value"], n=units)  # percentile


def assemble_series(
    definitions: Sequence[MetricDefinition], variants: Sequence[str], rows: Mapping[RowKey, Row]
) -> list[SeriesPoint]:
    """Every bucket that holds data, for every variant; `subjects` accumulates first exposures."""
    buckets = sorted({bucket for _, _, bucket in rows if bucket is not None})
    exposed = dict.fromkeys(variants, 0)
    points = []
    for bucket in buckets:
        for variant in variants:
            exposed[variant] += _count(rows.get((None, variant, bucket)), "units")
            subjects = exposed[variant]
            metrics = {
                d.metric: series_value(d, rows.get((d.metric, variant, bucket)), subjects)
                for d in definitions
            }
            points.append(
                SeriesPoint(bucket_start=_utc(bucket), variant=variant, subjects=subjects, metrics=metrics)
            )
    return points


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def assemble_report(
    experiment: Experiment,
    definitions: Sequence[MetricDefinition],
    rows: Iterable[Row],
    from_: datetime,
    to: datetime,
    *,
    alpha: float = 0.05,
) -> Report:
    """The report of `experiment` over [from_, to) from the statistics rows (any order)."""
    rows = list(rows)
    indexed = index_rows(rows)
    order = variant_order(experiment, rows)
    subjects = {name: _count(indexed.get((None, name, None)), "units") for name, _, _ in order}
    control_name = next((name for name, control, _ in order if control), None)
    variants = []
    statistics = {
        (d.metric, name): statistic(d, indexed.get((d.metric, name, None)), subjects[name])
        for d in definitions
        for name, _, _ in order
    }
    for name, is_control, _ in order:
        metrics = {
            d.metric: metric_result(
                d,
                statistics[d.metric, name],
                None if is_control or control_name is None else statistics[d.metric, control_name],
                alpha=alpha,
            )
            for d in definitions
        }
        population = indexed.get((None, name, None))
        variants.append(
            VariantResult(
                variant=name,
                control=is_control,
                exposures=_count(population, "events"),
                subjects=subjects[name],
                metrics=metrics,
            )
        )
    srm = srm_test([subjects[name] for name, _, _ in order], [weight for _, _, weight in order])
    return Report(
        experiment=experiment.key,
        from_=_utc(from_),
        to=_utc(to),
        status=experiment.status,
        srm=SrmSummary(
            p_value=srm.p_value,
            expected={name: e for (name, _, _), e in zip(order, srm.expected, strict=True)},
            observed={name: o for (name, _, _), o in zip(order, srm.observed, strict=True)},
            mismatch=srm.mismatch,
        ),
        variants=variants,
        series=assemble_series(definitions, [name for name, _, _ in order], indexed),
    )
