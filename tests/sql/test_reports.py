"""Report SQL and assembly on tests/report_world.py's hand-checkable events: every metric kind,
attribution, window edges, the hourly series, SRM, and the statistics against lotty.stats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lotty.errors import NotFoundError, ValidationError
from lotty.reports import build_report, read_report
from lotty.stats import Proportion, QuantileSample, Ratio, SampleMean, compare, quantile_ci_ranks, srm_test
from tests.report_world import METRIC_KEYS, T0, at, define, write_events


@pytest.fixture
def world(lotty, admin, make_user, clock):
    define(admin, make_user("approver"))
    write_events(lotty)
    clock.now = T0 + timedelta(hours=5)
    return lotty


def report(world, start=T0, end=None, bucket="hour"):
    return build_report(world.store, "exp", start, end or at(2), bucket, world.clock())


def values(rep, variant):
    found = next(v for v in rep.variants if v.variant == variant)
    return {key: (m.value, m.n) for key, m in found.metrics.items()}


def test_every_metric_kind_per_variant(world):
    rep = report(world)
    assert [m for m in rep.variants[0].metrics] == METRIC_KEYS  # experiment metrics, then guardrails
    control, treat = rep.variants
    assert (control.variant, control.control, control.subjects, control.exposures) == ("control", True, 3, 3)
    assert (treat.variant, treat.control, treat.subjects, treat.exposures) == ("treat", False, 2, 3)
    # control: c1 buys 10+20 and views twice, c2 buys 30 (its 70 is at `to`) and views once at `from`,
    # c3 views once (its purchase is pending); treat: t1 buys 40+50+60 and views once, t2 views twice
    assert values(rep, "control") == {
        "purchases": (3, 3),
        "buyers": (pytest.approx(2 / 3), 3),
        "per_view": (0.75, 3),
        "revenue": (60, 3),
        "aov": (20, 3),
        "p50": (20, 3),
        "crashes": (0, 3),
    }
    assert values(rep, "treat") == {
        "purchases": (3, 2),
        "buyers": (0.5, 2),
        "per_view": (1.0, 2),
        "revenue": (150, 2),
        "aov": (50, 3),
        "p50": (50, 3),
        "crashes": (1, 2),
    }


def test_control_has_no_comparison_and_every_variant_has_every_metric(world):
    rep = report(world)
    for result in rep.variants[0].metrics.values():
        assert (result.lift, result.ci_low, result.ci_high, result.p_value, result.significant) == (
            None,
            None,
            None,
            None,
            False,
        )
    assert all(set(v.metrics) == set(METRIC_KEYS) for v in rep.variants)


def test_statistics_are_lotty_stats_compare_on_the_same_sums(world):
    treat = report(world).variants[1].metrics
    low, high = quantile_ci_ranks(3, 0.5)
    expected = {
        # count per exposed subject: control (2, 1, 0), treat (3, 0)
        "purchases": compare(SampleMean(3, 3, 5), SampleMean(2, 3, 9)),
        "buyers": compare(Proportion(3, 2), Proportion(2, 1)),
        # per subject (purchases, views): control (2, 2), (1, 1), (0, 1); treat (3, 1), (0, 2)
        "per_view": compare(Ratio(3, 3, 5, 4, 6, 5), Ratio(2, 3, 9, 3, 5, 3)),
        "revenue": compare(SampleMean(3, 60, 1800), SampleMean(2, 150, 22500)),
        "aov": compare(SampleMean(3, 60, 1400), SampleMean(3, 150, 7700)),
        "p50": compare(
            QuantileSample(3, 0.5, 20, 10 if low == 0 else 20, 30, low, high),
            QuantileSample(3, 0.5, 50, 40 if low == 0 else 50, 60, low, high),
        ),
        "crashes": compare(SampleMean(3, 0, 0), SampleMean(2, 1, 1)),
    }
    for key, comparison in expected.items():
        got = treat[key]
        assert (got.lift, got.ci_low, got.ci_high, got.p_value, got.significant) == (
            comparison.lift,
            comparison.ci_low,
            comparison.ci_high,
            comparison.p_value,
            comparison.significant,
        ), key
    assert treat["revenue"].lift == pytest.approx((150 / 2 - 60 / 3) / (60 / 3))


def test_srm_against_the_configured_weights(world):
    srm = report(world).srm
    expected = srm_test([3, 2], [50, 50])
    assert srm.observed == {"control": 3, "treat": 2}
    assert srm.expected == {"control": 2.5, "treat": 2.5}
    assert (srm.p_value, srm.mismatch) == (expected.p_value, False)


def test_hourly_series(world):
    series = {(p.bucket_start, p.variant): p for p in report(world).series}
    assert list(series) == [(T0, "control"), (T0, "treat"), (at(1), "control"), (at(1), "treat")]

    def point(bucket, variant):
        p = series[bucket, variant]
        return p.subjects, {k: (v.value, v.n) for k, v in p.metrics.items()}

    assert point(T0, "control") == (
        2,
        {
            "purchases": (2, 2),
            "buyers": (1.0, 2),
            "per_view": (1.0, 2),
            "revenue": (40, 2),
            "aov": (20, 2),
            "p50": (20, 2),
            "crashes": (0, 2),
        },
    )
    assert point(T0, "treat") == (
        1,
        {
            "purchases": (1, 1),
            "buyers": (1.0, 1),
            "per_view": (1.0, 1),
            "revenue": (40, 1),
            "aov": (40, 1),
            "p50": (40, 1),
            "crashes": (0, 1),
        },
    )
    assert point(at(1), "control") == (
        3,
        {
            "purchases": (1, 3),
            "buyers": (pytest.approx(1 / 3), 3),
            "per_view": (0.5, 3),
            "revenue": (20, 3),
            "aov": (20, 1),
            "p50": (20, 1),
            "crashes": (0, 3),
        },
    )
    assert point(at(1), "treat") == (
        2,
        {
            "purchases": (2, 2),
            "buyers": (0.5, 2),
            "per_view": (1.0, 2),
            "revenue": (110, 2),
            "aov": (55, 2),
            "p50": (55, 2),
            "crashes": (1, 2),
        },
    )


def test_day_and_minute_buckets(world):
    assert [(p.bucket_start, p.variant, p.subjects) for p in report(world, bucket="day").series] == [
        (T0.replace(hour=0), "control", 3),
        (T0.replace(hour=0), "treat", 2),
    ]
    minutes = report(world, bucket="minute").series
    assert minutes[0].bucket_start == at(0, 10)  # c1's exposure: c2's view at 0:00 precedes its exposure
    assert sum(p.metrics["purchases"].value for p in minutes) == 6


def test_pending_events_count_once_their_exposure_arrives(world):
    write_events(world, [("exposure", "c3", "d-c3-other", at(1, 45), {})], prefix="late")
    control = values(report(world), "control")
    # c3's purchase of 1000 now counts; c3 still has one subject row (its first exposure's variant)
    assert control["purchases"] == (4, 3) and control["revenue"] == (1060, 3)
    assert control["p50"] == (25, 4)


def test_window_start_is_included_and_end_excluded(world):
    control = next(v for v in report(world, start=at(0, 10)).variants if v.control)
    assert control.subjects == 3  # c1's exposure at 0:10 is the window's first instant
    assert values(report(world, start=at(0, 10)), "control")["per_view"] == (1.0, 3)  # c2's 0:00 view is out
    later = report(world, start=at(0, 10) + timedelta(microseconds=1))
    assert next(v for v in later.variants if v.control).subjects == 2
    assert values(later, "control")["revenue"] == (30, 2)  # c2 and c3 remain
    rep = report(world, end=at(2) + timedelta(microseconds=1))
    assert values(rep, "control")["revenue"] == (130, 3)  # c2's 70 at 2:00 is now inside


def test_an_empty_window_gives_zeros_and_nulls(world):
    rep = report(world, start=at(3), end=at(4))
    for variant in rep.variants:
        assert (variant.subjects, variant.exposures) == (0, 0)
        assert {k: (m.value, m.n) for k, m in variant.metrics.items()} == {
            "purchases": (0, 0),
            "buyers": (None, 0),
            "per_view": (None, 0),
            "revenue": (0, 0),
            "aov": (None, 0),
            "p50": (None, 0),
            "crashes": (0, 0),
        }
        assert all(m.lift is None and m.p_value is None for m in variant.metrics.values())
    assert (rep.srm.p_value, rep.srm.mismatch) == (None, False)
    assert rep.series == []


def test_from_not_before_to_is_a_validation_error(world):
    with pytest.raises(ValidationError) as raised:
        report(world, start=at(2), end=at(2))
    assert raised.value.code == "INVALID_WINDOW"
    with pytest.raises(ValidationError):
        report(world, start=at(3), end=at(2))


def test_unknown_bucket_and_too_many_buckets_are_validation_errors(world):
    with pytest.raises(ValidationError):
        report(world, bucket="week")
    with pytest.raises(ValidationError):
        report(world, start=T0 - timedelta(days=60), bucket="minute")


def test_unknown_experiment_is_not_found(world):
    with pytest.raises(NotFoundError):
        build_report(world.store, "nope", None, None, "hour", world.clock())


def test_default_window_is_start_to_now(world):
    rep, _ = read_report(world.store, "exp", None, None, "hour", world.clock())
    assert rep.from_ < T0 and rep.to > at(2)
    assert values(rep, "control")["revenue"] == (130, 3)  # c2's 70 at 2:00 is inside now
    assert rep.status == "running"
