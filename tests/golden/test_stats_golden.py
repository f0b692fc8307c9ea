"""lotty.stats reproduces the published GrowthBook gbstats 0.8.0 numbers.

The published values are rounded to 5-6 decimals, so they are checked to 1e-6. The `PINNED`
values are the same cases at full precision (scipy 1.17 on the same formulas), checked to 1e-9,
so a silent change in a formula or a distribution function shows up here first.
"""

from __future__ import annotations

import pytest

from lotty.stats import Proportion, SampleMean, compare, srm_test

MEAN_CONTROL = SampleMean(n=3407, sum=1396.87, sum_squares=52377.9767)
MEAN_TREATMENT = SampleMean(n=3461, sum=2422.7, sum_squares=134698.29)


def test_gbstats_sample_mean_two_sided_t_test() -> None:
    result = compare(MEAN_CONTROL, MEAN_TREATMENT)
    assert result.lift == pytest.approx(0.707317, abs=1e-6)
    assert result.ci_low == pytest.approx(-0.035260, abs=1e-6)
    assert result.ci_high == pytest.approx(1.449894, abs=1e-6)
    assert result.p_value == pytest.approx(0.061912, abs=1e-6)
    assert result.significant is False
    assert result.difference == pytest.approx(0.29)


def test_gbstats_proportion_two_sided_t_test() -> None:
    result = compare(Proportion(n=1000, successes=100), Proportion(n=1000, successes=120))
    assert result.lift == pytest.approx(0.2, abs=1e-6)
    assert result.ci_low == pytest.approx(-0.100768, abs=1e-6)
    assert result.ci_high == pytest.approx(0.500768, abs=1e-6)
    assert result.p_value == pytest.approx(0.19235, abs=1e-6)


def test_gbstats_srm() -> None:
    result = srm_test([5050, 4950], [0.5, 0.5])
    assert result.p_value == pytest.approx(0.31731, abs=1e-6)
    assert result.mismatch is False


PINNED = {
    "mean": (0.7073170731707317, -0.035260089066117, 1.449894235407581, 0.0619118274561836),
    "proportion": (0.2, -0.10076797484835626, 0.500767974848356, 0.1923502070150558),
}


@pytest.mark.parametrize(
    ("case", "control", "treatment"),
    [("mean", MEAN_CONTROL, MEAN_TREATMENT), ("proportion", Proportion(1000, 100), Proportion(1000, 120))],
)
def test_full_precision_values_are_pinned(case: str, control, treatment) -> None:  # type: ignore[no-untyped-def]
    result = compare(control, treatment)
    lift, ci_low, ci_high, p_value = PINNED[case]
    assert result.lift == pytest.approx(lift, abs=1e-9)
    assert result.ci_low == pytest.approx(ci_low, abs=1e-9)
    assert result.ci_high == pytest.approx(ci_high, abs=1e-9)
    assert result.p_value == pytest.approx(p_value, abs=1e-9)


def test_srm_full_precision_is_pinned() -> None:
    # chi-square 1.0 on 1 df: p = erfc(1 / sqrt 2)
    assert srm_test([5050, 4950], [0.5, 0.5]).p_value == pytest.approx(0.31731050786291415, abs=1e-12)
