"""Statistical properties of lotty.stats: coverage, calibration, SRM power, invariances.

Simulations use fixed numpy seeds (deterministic, ~1000 replications each); hypothesis checks the
algebraic properties on arbitrary inputs. The whole file runs in a few seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lotty.stats import (
    Comparison,
    Proportion,
    QuantileSample,
    Ratio,
    SampleMean,
    Statistic,
    compare,
    quantile_ci_ranks,
    srm_test,
)
from lotty.stats import distributions as dist

SIMULATIONS = 1000
PROPS = settings(max_examples=200, deadline=None)


def coverage(results: list[Comparison], truth: float) -> float:
    hits = [r.ci_low <= truth <= r.ci_high for r in results if r.ci_low is not None and r.ci_high is not None]
    assert len(hits) == len(results)
    return float(np.mean(hits))


def means(x: np.ndarray) -> list[SampleMean]:
    """One SampleMean per row of a (simulations, n) array."""
    n = x.shape[1]
    return [SampleMean(n, s, q) for s, q in zip(x.sum(axis=1), (x**2).sum(axis=1), strict=True)]


def run(control: list[Statistic], treatment: list[Statistic], **kwargs: bool) -> list[Comparison]:
    return [compare(c, t, **kwargs) for c, t in zip(control, treatment, strict=True)]  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Simulations
# ------------------------------------------------------------------------------------------


def test_aa_skewed_means_cover_and_p_values_are_uniform() -> None:
    rng = np.random.default_rng(20240101)
    control = means(rng.exponential(2.0, (SIMULATIONS, 1000)))
    treatment = means(rng.exponential(2.0, (SIMULATIONS, 1000)))
    results = run(control, treatment)
    assert 0.93 <= coverage(results, 0.0) <= 0.97
    p_values = np.array([r.p_value for r in results])
    assert 0.03 <= float(np.mean(p_values < 0.05)) <= 0.07
    # roughly uniform overall: each decile holds about a tenth
    deciles = np.histogram(p_values, bins=10, range=(0, 1))[0] / SIMULATIONS
    assert np.all((deciles > 0.06) & (deciles < 0.14))
    assert float(np.mean([r.significant for r in results])) == pytest.approx(np.mean(p_values < 0.05))


@pytest.mark.parametrize("relative", [True, False])
def test_ab_normal_means_cover_the_true_effect(relative: bool) -> None:
    rng = np.random.default_rng(7)
    control = means(rng.normal(10.0, 3.0, (SIMULATIONS, 500)))
    treatment = means(rng.normal(11.0, 3.0, (SIMULATIONS, 500)))
    truth = 0.1 if relative else 1.0
    assert 0.93 <= coverage(run(control, treatment, relative=relative), truth) <= 0.97


def test_ab_proportions_cover_the_true_lift() -> None:
    rng = np.random.default_rng(8)
    control = [Proportion(2000, int(k)) for k in rng.binomial(2000, 0.10, SIMULATIONS)]
    treatment = [Proportion(2000, int(k)) for k in rng.binomial(2000, 0.12, SIMULATIONS)]
    assert 0.93 <= coverage(run(control, treatment), 0.2) <= 0.97


def test_ab_ratio_of_clustered_counts_covers_the_true_lift() -> None:
    rng = np.random.default_rng(9)

    def arm(rate: float) -> list[Ratio]:
        d = rng.poisson(3.0, (SIMULATIONS, 1000)) + 1  # events per subject
        m = rng.binomial(d, rate)  # of which "successes": clustered within subject
        sums = zip(
            m.sum(axis=1),
            (m**2).sum(axis=1),
            d.sum(axis=1),
            (d**2).sum(axis=1),
            (m * d).sum(axis=1),
            strict=True,
        )
        return [Ratio(1000, *row) for row in sums]

    assert 0.93 <= coverage(run(arm(0.30), arm(0.33)), 0.1) <= 0.97


def test_ab_percentiles_cover_the_true_lift() -> None:
    rng = np.random.default_rng(10)
    n, p = 2000, 0.9
    levels = quantile_ci_ranks(n, p)

    def arm(scale: float) -> list[QuantileSample]:
        data = rng.exponential(scale, (SIMULATIONS, n))
        low, value, high = np.quantile(data, [levels[0], p, levels[1]], axis=1)
        return [QuantileSample(n, p, v, lo, hi, *levels) for v, lo, hi in zip(value, low, high, strict=True)]

    # the P90 of an exponential scales with its scale: true relative lift 0.1
    assert 0.93 <= coverage(run(arm(1.0), arm(1.1)), 0.1) <= 0.97


def test_srm_flags_a_broken_split_and_not_a_fair_one() -> None:
    assert srm_test([4500, 5500], [0.5, 0.5]).mismatch is True
    assert srm_test([4500, 5500], [0.5, 0.5]).p_value < 1e-20
    assert srm_test([5000, 5000], [0.5, 0.5]).mismatch is False
    assert srm_test([5000, 5000], [0.5, 0.5]).p_value == 1.0
    # a fair multinomial split almost never raises the alarm
    rng = np.random.default_rng(11)
    alarms = [srm_test(list(c), [1, 1, 2]).mismatch for c in rng.multinomial(10_000, [0.25, 0.25, 0.5], 2000)]
    assert sum(alarms) <= 10


# ------------------------------------------------------------------------------------------
# Invariances (hypothesis)
# ------------------------------------------------------------------------------------------


@st.composite
def sample_means(draw: Callable) -> SampleMean:  # type: ignore[type-arg]
    n = draw(st.integers(min_value=2, max_value=1_000_000))
    mean = draw(st.floats(min_value=0.01, max_value=1e4))
    # coefficient of variation >= 1e-3: below ~1e-6 the sums of squares cannot carry the variance
    sd = mean * draw(st.floats(min_value=1e-3, max_value=10.0))
    return SampleMean(n, n * mean, (n - 1) * sd * sd + n * mean * mean)


@PROPS
@given(sample_means(), sample_means())
def test_swapping_arms_flips_the_absolute_difference(a: SampleMean, b: SampleMean) -> None:
    forward, backward = compare(a, b, relative=False), compare(b, a, relative=False)
    assert forward.lift is not None and backward.lift is not None
    assert forward.lift == pytest.approx(-backward.lift, rel=1e-12, abs=1e-12)
    assert forward.difference == pytest.approx(-backward.difference, rel=1e-12, abs=1e-12)
    assert forward.ci_low == pytest.approx(-backward.ci_high, rel=1e-9, abs=1e-9)
    assert forward.p_value == pytest.approx(backward.p_value, rel=1e-9, abs=1e-15)


@PROPS
@given(sample_means(), sample_means(), st.floats(min_value=1e-3, max_value=1e3))
def test_relative_lift_is_invariant_to_the_unit(a: SampleMean, b: SampleMean, c: float) -> None:
    def scale(s: SampleMean) -> SampleMean:
        return SampleMean(s.n, s.sum * c, s.sum_squares * c * c)

    plain, scaled = compare(a, b), compare(scale(a), scale(b))
    assert plain.lift is not None and scaled.lift is not None
    assert scaled.lift == pytest.approx(plain.lift, rel=1e-9, abs=1e-12)
    assert scaled.ci_low == pytest.approx(plain.ci_low, rel=1e-7, abs=1e-9)
    assert scaled.p_value == pytest.approx(plain.p_value, rel=1e-6, abs=1e-12)


@PROPS
@given(st.integers(2, 3000), st.integers(0, 2**32 - 1), st.floats(0.01, 100.0))
def test_ratio_relative_lift_is_invariant_to_numerator_unit(n: int, seed: int, c: float) -> None:
    rng = np.random.default_rng(seed)

    def arm(rate: float, unit: float) -> Ratio:
        d = rng.poisson(2.0, n).astype(float)
        m = rng.binomial(d.astype(int), rate) * unit
        return Ratio(n, m.sum(), (m**2).sum(), d.sum(), (d**2).sum(), (m * d).sum())

    state = rng.bit_generator.state
    plain = compare(arm(0.3, 1.0), arm(0.35, 1.0))
    rng.bit_generator.state = state  # the same data again, numerator in another unit
    scaled = compare(arm(0.3, c), arm(0.35, c))
    assert (plain.lift is None) == (scaled.lift is None)
    if plain.lift is not None:
        assert scaled.lift == pytest.approx(plain.lift, rel=1e-9, abs=1e-12)
        assert scaled.p_value == pytest.approx(plain.p_value, rel=1e-6, abs=1e-12)


values = st.lists(st.floats(min_value=-1e6, max_value=1e6), max_size=30)


@PROPS
@given(values, values, st.booleans(), st.floats(min_value=0.001, max_value=0.5))
def test_any_data_gives_finite_or_null_results(
    xs: list[float], ys: list[float], relative: bool, alpha: float
) -> None:
    def stat(v: list[float]) -> SampleMean:
        return SampleMean(len(v), math.fsum(v), math.fsum(x * x for x in v))

    result = compare(stat(xs), stat(ys), relative=relative, alpha=alpha)
    numbers = [result.lift, result.ci_low, result.ci_high, result.p_value, result.difference]
    assert all(x is None or math.isfinite(x) for x in numbers)
    if result.p_value is None:
        assert result.lift is None and result.ci_low is None and not result.significant
    else:
        assert result.lift is not None and result.ci_low is not None and result.ci_high is not None
        assert 0.0 <= result.p_value <= 1.0
        assert result.ci_low <= result.lift <= result.ci_high
        excludes_zero = result.ci_low > 0 or result.ci_high < 0
        if abs(result.p_value - alpha) > 1e-9:
            assert result.significant == excludes_zero


@PROPS
@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 10**6))
def test_proportions_never_fail(n: int, k: int, m: int) -> None:
    control, treatment = Proportion(n, min(k, n)), Proportion(m, min(k, m))
    result = compare(control, treatment)
    assert result.p_value is None or 0.0 <= result.p_value <= 1.0


@PROPS
@given(st.lists(st.integers(0, 10**7), min_size=2, max_size=6), st.floats(0.01, 100.0))
def test_srm_is_invariant_to_weight_scale(counts: list[int], c: float) -> None:
    weights = [1.0 + i for i in range(len(counts))]
    plain, scaled = srm_test(counts, weights), srm_test(counts, [w * c for w in weights])
    if plain.p_value is None:
        assert scaled.p_value is None and sum(counts) == 0
    else:
        assert 0.0 <= plain.p_value <= 1.0
        assert scaled.p_value == pytest.approx(plain.p_value, rel=1e-6, abs=1e-300)
        assert plain.mismatch == (plain.p_value < 0.001)


# ------------------------------------------------------------------------------------------
# Distribution identities (hypothesis)
# ------------------------------------------------------------------------------------------

dfs = st.one_of(
    st.floats(min_value=0.5, max_value=1e9), st.integers(1, 400).map(lambda k: k / 2), st.just(math.inf)
)


@PROPS
@given(st.floats(min_value=1e-12, max_value=1 - 1e-12), dfs)
def test_t_ppf_inverts_t_cdf(p: float, df: float) -> None:
    x = dist.t_ppf(p, df)
    assert dist.t_cdf(x, df) == pytest.approx(p, rel=1e-9, abs=1e-15)


@PROPS
@given(st.floats(min_value=-50, max_value=50), dfs)
def test_t_distribution_is_symmetric(x: float, df: float) -> None:
    assert dist.t_cdf(-x, df) == pytest.approx(dist.t_sf(x, df), rel=1e-12, abs=1e-300)
    assert dist.t_cdf(x, df) + dist.t_sf(x, df) == pytest.approx(1.0, abs=1e-15)


@PROPS
@given(st.floats(min_value=0, max_value=500), st.floats(min_value=0, max_value=50), st.integers(1, 30))
def test_chi2_sf_decreases(x: float, dx: float, df: int) -> None:
    assert dist.chi2_sf(x + dx, df) <= dist.chi2_sf(x, df) + 1e-15
