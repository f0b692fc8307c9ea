"""lotty.stats against scipy (a test-only dependency) and its null-safety rules."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from scipy import integrate, special
from scipy import stats as sps

from lotty.stats import (
    Comparison,
    GaussianPrior,
    Proportion,
    QuantileSample,
    Ratio,
    SampleMean,
    bayesian_compare,
    compare,
    order_statistic_ranks,
    quantile_ci_ranks,
    srm_test,
    value_of,
    welch_df,
)
from lotty.stats import distributions as dist


def close(actual: float, expected: float, rel: float = 1e-10, abs_: float = 1e-300) -> bool:
    return abs(actual - expected) <= max(rel * abs(expected), abs_)


def sample_mean(values: np.ndarray) -> SampleMean:
    return SampleMean(len(values), float(values.sum()), float((values**2).sum()))


# ------------------------------------------------------------------------------------------
# Distributions
# ------------------------------------------------------------------------------------------

PROBS = np.concatenate([np.logspace(-300, -2, 60), np.linspace(0.01, 0.99, 49), 1 - np.logspace(-15, -2, 20)])
DFS = [0.3, 1.0, 1.5, 2.0, 3.0, 4.7, 10.0, 29.0, 100.0, 1e3, 5841.742, 1e5, 1e7, 1e9, 1e13, 1e16, math.inf]
XS = np.concatenate([-np.logspace(-8, 3, 40), [0.0], np.logspace(-8, 3, 40)])


def test_norm_cdf_and_sf_match_scipy() -> None:
    for x in np.linspace(-37.0, 37.0, 297):
        assert close(dist.norm_cdf(x), sps.norm.cdf(x), rel=1e-12)
        assert close(dist.norm_sf(x), sps.norm.sf(x), rel=1e-12)
        assert close(dist.norm_pdf(x), sps.norm.pdf(x), rel=1e-12)


def test_norm_ppf_matches_scipy() -> None:
    for p in PROBS:
        assert close(dist.norm_ppf(p), sps.norm.ppf(p), rel=1e-13, abs_=1e-15)
    assert dist.norm_ppf(0.0) == -math.inf
    assert dist.norm_ppf(1.0) == math.inf
    assert dist.norm_ppf(0.5) == 0.0


@pytest.mark.parametrize("df", DFS)
def test_t_cdf_sf_pdf_match_scipy(df: float) -> None:
    for x in XS:
        expected_sf = sps.t.sf(x, df)
        rel = 1e-8 if df == 1.0 else 1e-10  # scipy's Cauchy tail is itself only good to ~3e-9
        assert close(dist.t_sf(x, df), expected_sf, rel=rel), (x, df)
        assert close(dist.t_cdf(x, df), sps.t.cdf(x, df), rel=rel), (x, df)
        assert close(dist.t_pdf(x, df), sps.t.pdf(x, df), rel=1e-10), (x, df)


@pytest.mark.parametrize("df", DFS)
def test_t_ppf_matches_scipy_and_inverts_cdf(df: float) -> None:
    probs = np.concatenate(
        [np.logspace(-15, -1, 15), np.linspace(0.05, 0.95, 19), 1 - np.logspace(-12, -1, 8)]
    )
    for p in probs:
        x = dist.t_ppf(p, df)
        assert close(x, sps.t.ppf(p, df), rel=1e-10, abs_=1e-12), (p, df)
        tail = dist.t_cdf(x, df) if p < 0.5 else dist.t_sf(x, df)
        assert close(tail, min(p, 1 - p), rel=1e-9, abs_=1e-15), (p, df)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 10, 50, 200])
def test_chi2_sf_matches_scipy(df: int) -> None:
    for x in np.concatenate([[0.0], np.logspace(-6, 3.3, 80)]):
        expected = sps.chi2.sf(x, df)
        if expected < 1e-290:
            continue
        assert close(dist.chi2_sf(x, df), expected, rel=1e-11), (x, df)


def test_special_functions_match_scipy() -> None:
    rng = np.random.default_rng(7)
    triples = zip(rng.uniform(0.1, 50, 200), rng.uniform(0.1, 50, 200), rng.uniform(0, 1, 200), strict=True)
    for a, b, x in triples:
        assert close(dist.regularized_beta(a, b, x), special.betainc(a, b, x), rel=1e-10, abs_=1e-14)
    for a, x in zip(rng.uniform(0.1, 100, 200), rng.uniform(0, 200, 200), strict=True):
        assert close(dist.regularized_gamma_q(a, x), special.gammaincc(a, x), rel=1e-10, abs_=1e-14)


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (dist.norm_ppf, (-0.1,)),
        (dist.norm_ppf, (1.5,)),
        (dist.t_ppf, (0.5, 0.0)),
        (dist.t_cdf, (1.0, -2.0)),
        (dist.t_sf, (1.0, math.nan)),
        (dist.chi2_sf, (1.0, 0.0)),
        (dist.regularized_beta, (0.0, 1.0, 0.5)),
        (dist.regularized_beta, (1.0, 1.0, 1.5)),
        (dist.regularized_gamma_q, (0.0, 1.0)),
    ],
)
def test_distributions_reject_invalid_parameters(call, args) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        call(*args)


# ------------------------------------------------------------------------------------------
# Value objects
# ------------------------------------------------------------------------------------------


def test_sample_mean_derives_mean_and_sample_variance() -> None:
    values = np.array([1.0, 2.0, 4.0, 7.0])
    stat = sample_mean(values)
    assert stat.mean == pytest.approx(values.mean())
    assert stat.variance == pytest.approx(values.var(ddof=1))
    assert SampleMean(0, 0, 0).mean == 0.0
    assert SampleMean(1, 5, 25).variance == 0.0
    assert SampleMean(3, 3.0, 3.0 - 1e-15).variance == 0.0  # rounding never makes it negative


def test_value_objects_coerce_warehouse_types() -> None:
    stat = SampleMean(Decimal(3), Decimal("1.5"), Decimal("2.25"))  # type: ignore[arg-type]
    assert isinstance(stat.n, int) and isinstance(stat.sum, float)
    assert Proportion(10.0, 3.0).successes == 3  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda: SampleMean(-1, 0, 0),
        lambda: SampleMean(2.5, 0, 0),  # type: ignore[arg-type]
        lambda: SampleMean(2, math.nan, 0),
        lambda: SampleMean(math.inf, 0, 0),  # type: ignore[arg-type]
        lambda: SampleMean(2, None, 0),  # type: ignore[arg-type]
        lambda: Proportion(10, 11),
        lambda: Proportion(10, -1),
        lambda: QuantileSample(10, 1.0, 1, 0, 2, 0.1, 0.9),
        lambda: QuantileSample(10, 0.5, 1, 0, 2, 0.9, 0.1),
        lambda: QuantileSample(10, 0.5, 1, 3, 2, 0.1, 0.9),
    ],
)
def test_value_objects_reject_impossible_inputs(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        build()


def test_ratio_variance_is_the_delta_method() -> None:
    rng = np.random.default_rng(11)
    d = rng.poisson(3.0, 500) + 1.0
    m = rng.binomial(d.astype(int), 0.3).astype(float)
    stat = Ratio(500, m.sum(), (m**2).sum(), d.sum(), (d**2).sum(), (m * d).sum())
    mu_m, mu_d = m.mean(), d.mean()
    cov = np.cov(m, d, ddof=1)
    expected = cov[0, 0] / mu_d**2 + cov[1, 1] * mu_m**2 / mu_d**4 - 2 * cov[0, 1] * mu_m / mu_d**3
    assert stat.mean == pytest.approx(m.sum() / d.sum())
    assert stat.covariance == pytest.approx(cov[0, 1])
    assert stat.variance == pytest.approx(expected, rel=1e-12)


def test_ratio_with_unit_denominator_is_a_sample_mean() -> None:
    rng = np.random.default_rng(12)
    a, b = rng.exponential(2.0, 300), rng.exponential(2.4, 280)

    def as_ratio(x: np.ndarray) -> Ratio:
        return Ratio(len(x), x.sum(), (x**2).sum(), len(x), len(x), x.sum())

    by_ratio = compare(as_ratio(a), as_ratio(b))
    by_mean = compare(sample_mean(a), sample_mean(b))
    assert by_ratio.lift == pytest.approx(by_mean.lift)
    assert by_ratio.p_value == pytest.approx(by_mean.p_value, rel=1e-9)
    assert by_ratio.ci_low == pytest.approx(by_mean.ci_low, rel=1e-9)


# ------------------------------------------------------------------------------------------
# Frequentist comparison against scipy
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_absolute_comparison_matches_scipy_welch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, 1.0, rng.integers(5, 3000))
    b = rng.lognormal(0.05, 1.2, rng.integers(5, 3000))
    result = compare(sample_mean(a), sample_mean(b), relative=False, alpha=0.1)
    welch = sps.ttest_ind_from_stats(
        b.mean(), b.std(ddof=1), len(b), a.mean(), a.std(ddof=1), len(a), equal_var=False
    )
    df = welch_df(a.var(ddof=1), len(a), b.var(ddof=1), len(b))
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert result.lift == pytest.approx(b.mean() - a.mean())
    assert result.difference == pytest.approx(b.mean() - a.mean())
    assert close(result.p_value, welch.pvalue, rel=1e-9)
    assert result.ci_low == pytest.approx(result.lift - sps.t.ppf(0.95, df) * se, rel=1e-10)
    assert result.ci_high == pytest.approx(result.lift + sps.t.ppf(0.95, df) * se, rel=1e-10)
    assert result.significant == (welch.pvalue < 0.1)


@pytest.mark.parametrize("seed", range(6))
def test_relative_comparison_matches_delta_method_with_scipy_t(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    a = rng.gamma(2.0, 3.0, 800)
    b = rng.gamma(2.0, 3.3, 900)
    result = compare(sample_mean(a), sample_mean(b))
    mc, mt, vc, vt = a.mean(), b.mean(), a.var(ddof=1), b.var(ddof=1)
    lift = (mt - mc) / mc
    se = math.sqrt(vt / (mc**2 * len(b)) + vc * mt**2 / (mc**4 * len(a)))
    ec, et = vc / len(a), vt / len(b)
    df = (ec + et) ** 2 / (ec**2 / (len(a) - 1) + et**2 / (len(b) - 1))
    assert result.lift == pytest.approx(lift)
    assert result.std_error == pytest.approx(se)
    assert result.df == pytest.approx(df)
    assert close(result.p_value, 2 * sps.t.sf(abs(lift / se), df), rel=1e-9)
    assert result.ci_low == pytest.approx(lift - sps.t.ppf(0.975, df) * se, rel=1e-10)


def test_proportion_comparison_uses_bernoulli_variance() -> None:
    result = compare(Proportion(2000, 300), Proportion(2100, 360), relative=False)
    pc, pt = 300 / 2000, 360 / 2100
    se = math.sqrt(pc * (1 - pc) / 2000 + pt * (1 - pt) / 2100)
    df = welch_df(pc * (1 - pc), 2000, pt * (1 - pt), 2100)
    assert result.lift == pytest.approx(pt - pc)
    assert close(result.p_value, 2 * sps.t.sf(abs((pt - pc) / se), df), rel=1e-9)


def test_ratio_comparison_matches_manual_delta_method() -> None:
    rng = np.random.default_rng(5)

    def arm(rate: float, n: int) -> Ratio:
        d = rng.poisson(4.0, n).astype(float)
        m = rng.binomial(d.astype(int), rate).astype(float)
        return Ratio(n, m.sum(), (m**2).sum(), d.sum(), (d**2).sum(), (m * d).sum())

    control, treatment = arm(0.20, 4000), arm(0.22, 4000)
    result = compare(control, treatment)
    mc, mt = control.mean, treatment.mean
    var = treatment.variance / (mc**2 * treatment.n) + control.variance * mt**2 / (mc**4 * control.n)
    assert result.lift == pytest.approx(mt / mc - 1)
    assert result.std_error == pytest.approx(math.sqrt(var))


# ------------------------------------------------------------------------------------------
# Null safety
# ------------------------------------------------------------------------------------------

NULL_CASES = {
    "empty control": (SampleMean(0, 0, 0), SampleMean(10, 5, 9)),
    "one unit": (SampleMean(1, 2, 4), SampleMean(10, 5, 9)),
    "zero control mean": (SampleMean(10, 0, 4), SampleMean(10, 5, 9)),
    "zero variance": (SampleMean(10, 20, 40), SampleMean(12, 24, 48)),
    "both proportions zero": (Proportion(100, 0), Proportion(100, 0)),
    "both proportions one": (Proportion(100, 100), Proportion(50, 50)),
    "ratio zero denominator": (Ratio(10, 0, 0, 0, 0, 0), Ratio(10, 3, 3, 5, 5, 3)),
    "quantile clipped": (
        QuantileSample(5, 0.99, 3, 1, 4, 0.0, 1.0),
        QuantileSample(6, 0.99, 3, 1, 4, 0.0, 1.0),
    ),
    "quantile ties": (
        QuantileSample(500, 0.5, 3, 3, 3, 0.45, 0.55),
        QuantileSample(400, 0.5, 3, 3, 3, 0.4, 0.6),
    ),
    "overflow": (SampleMean(10, 1e300, 1e300), SampleMean(10, 1e300, 1e300)),
}


@pytest.mark.parametrize("relative", [True, False])
@pytest.mark.parametrize("case", NULL_CASES)
def test_degenerate_inputs_give_nulls_not_errors(case: str, relative: bool) -> None:
    control, treatment = NULL_CASES[case]
    result = compare(control, treatment, relative=relative)
    if case == "zero control mean" and not relative:
        assert result.lift == pytest.approx(0.5)  # the absolute difference is still testable
        return
    assert (result.lift, result.ci_low, result.ci_high, result.p_value) == (None, None, None, None)
    assert result.significant is False
    for value in (result.control_value, result.treatment_value, result.difference):
        assert value is None or math.isfinite(value)
    bayes = bayesian_compare(control, treatment, relative=relative)
    assert bayes.chance_to_win is None and bayes.expected is None


def test_null_comparison_keeps_descriptive_values() -> None:
    result = compare(SampleMean(1, 2, 4), SampleMean(10, 5, 9))
    assert result == Comparison(2.0, 0.5, -1.5, None, None, None, None, False, True)


def test_one_arm_without_variance_still_tests() -> None:
    result = compare(SampleMean(50, 100, 200), sample_mean(np.linspace(1, 3, 40)), relative=False)
    assert result.p_value is not None and result.df == pytest.approx(39.0)


def test_relative_lift_on_a_negative_baseline_keeps_its_direction() -> None:
    rng = np.random.default_rng(21)
    control, treatment = rng.normal(-10.0, 2.0, 400), rng.normal(-9.0, 2.0, 400)
    result = compare(sample_mean(control), sample_mean(treatment))
    assert result.lift == pytest.approx((treatment.mean() - control.mean()) / abs(control.mean()))
    assert result.lift > 0 and result.significant


def test_value_of() -> None:
    assert value_of(SampleMean(0, 0, 0)) is None
    assert value_of(Ratio(3, 1, 1, 0, 0, 0)) is None
    assert value_of(Proportion(4, 1)) == 0.25


def test_compare_rejects_mismatched_kinds_and_bad_alpha() -> None:
    with pytest.raises(TypeError):
        compare(SampleMean(3, 1, 1), Proportion(3, 1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        compare(3, 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        compare(SampleMean(3, 1, 1), SampleMean(3, 1, 1), alpha=0.0)


# ------------------------------------------------------------------------------------------
# Quantiles
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "p"), [(100, 0.5), (1000, 0.9), (5000, 0.99), (777, 0.25), (20000, 0.95)])
def test_order_statistic_interval_has_nominal_exact_coverage(n: int, p: float) -> None:
    low, high = order_statistic_ranks(n, p, 0.05)
    coverage = sps.binom.cdf(high - 1, n, p) - sps.binom.cdf(low - 1, n, p)
    assert 0.95 <= coverage <= 0.975


def test_quantile_levels_select_the_order_statistics() -> None:
    rng = np.random.default_rng(3)
    x = rng.exponential(1.0, 1234)
    low, high = order_statistic_ranks(1234, 0.9)
    level_low, level_high = quantile_ci_ranks(1234, 0.9)
    ordered = np.sort(x)
    # numpy's default "linear" method is DuckDB's quantile_cont (Hyndman-Fan type 7)
    assert np.quantile(x, level_low) == pytest.approx(ordered[low - 1])
    assert np.quantile(x, level_high) == pytest.approx(ordered[high - 1])
    assert quantile_ci_ranks(1, 0.5) == (0.0, 1.0)
    assert order_statistic_ranks(0, 0.5) == (0, 0)


def test_quantile_standard_error_matches_asymptotic_theory() -> None:
    # Bahadur: se = sqrt(p (1 - p) / n) / f(q_p). The spacing estimate of f is noisy (a few % at
    # this n), so the check averages 30 samples.
    rng = np.random.default_rng(4)
    n, p = 20_000, 0.9
    levels = quantile_ci_ranks(n, p)
    errors = []
    for _ in range(30):
        lower, value, upper = np.quantile(rng.normal(0.0, 1.0, n), [levels[0], p, levels[1]])
        sample = QuantileSample(n, p, value, lower, upper, *levels)
        assert (upper - lower) / (2 * 1.959963984540054) == pytest.approx(sample.standard_error, rel=0.01)
        errors.append(sample.standard_error)
    theory = math.sqrt(p * (1 - p) / n) / sps.norm.pdf(sps.norm.ppf(p))
    assert float(np.mean(errors)) == pytest.approx(theory, rel=0.03)


def test_quantile_comparison_is_a_normal_test() -> None:
    control = QuantileSample(5000, 0.9, 10.0, 9.5, 10.6, *quantile_ci_ranks(5000, 0.9))
    treatment = QuantileSample(5200, 0.9, 11.0, 10.4, 11.5, *quantile_ci_ranks(5200, 0.9))
    result = compare(control, treatment, relative=False)
    se = math.hypot(control.standard_error, treatment.standard_error)
    assert result.df == math.inf
    assert result.lift == pytest.approx(1.0)
    assert close(result.p_value, 2 * sps.norm.sf(1.0 / se), rel=1e-10)
    assert result.ci_low == pytest.approx(1.0 - sps.norm.ppf(0.975) * se)


@pytest.mark.parametrize(("n", "p", "alpha"), [(-1, 0.5, 0.05), (10, 0.0, 0.05), (10, 0.5, 1.0)])
def test_quantile_ranks_reject_invalid_arguments(n: int, p: float, alpha: float) -> None:
    with pytest.raises(ValueError):
        quantile_ci_ranks(n, p, alpha)


# ------------------------------------------------------------------------------------------
# SRM
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observed", "weights"),
    [
        ([5050, 4950], [0.5, 0.5]),
        ([1000, 1200], [1, 1]),
        ([330, 340, 360], [1, 1, 1]),
        ([2000, 1000, 980], [50, 25, 25]),
        ([10, 3], [0.9, 0.1]),
        ([4500, 5500], [0.5, 0.5]),
    ],
)
def test_srm_matches_scipy_chisquare(observed: list[int], weights: list[float]) -> None:
    total = sum(observed)
    expected = [total * w / sum(weights) for w in weights]
    reference = sps.chisquare(observed, expected)
    result = srm_test(observed, weights)
    assert result.statistic == pytest.approx(reference.statistic)
    assert close(result.p_value, reference.pvalue, rel=1e-10)
    assert result.expected == pytest.approx(tuple(expected))
    assert result.df == len(observed) - 1
    assert result.mismatch == (reference.pvalue < 0.001)


def test_srm_edge_cases() -> None:
    empty = srm_test([0, 0], [0.5, 0.5])
    assert (empty.p_value, empty.mismatch, empty.expected) == (None, False, (0.0, 0.0))
    leaked = srm_test([100, 98, 3], [1, 1, 0])
    assert (leaked.p_value, leaked.mismatch) == (0.0, True)
    unused = srm_test([100, 98, 0], [1, 1, 0])
    assert unused.df == 1 and unused.p_value == pytest.approx(sps.chisquare([100, 98]).pvalue)
    single = srm_test([100], [1.0])
    assert (single.p_value, single.mismatch) == (None, False)
    for observed, weights in [
        ([1, 2], [1.0]),
        ([-1, 2], [1, 1]),
        ([1, 2], [0, 0]),
        ([1, 2], [1, -1]),
        ([1.5, 2], [1, 1]),
        ([1, 2], [1, math.inf]),
    ]:
        with pytest.raises(ValueError):
            srm_test(observed, weights)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Bayesian
# ------------------------------------------------------------------------------------------


def test_bayesian_flat_prior_matches_normal_posterior() -> None:
    control, treatment = SampleMean(3407, 1396.87, 52377.9767), SampleMean(3461, 2422.7, 134698.29)
    frequentist = compare(control, treatment)
    result = bayesian_compare(control, treatment)
    mu, sd = frequentist.lift, frequentist.std_error
    assert result.expected == pytest.approx(mu)
    assert result.std_dev == pytest.approx(sd)
    assert close(result.chance_to_win, sps.norm.sf(0, mu, sd), rel=1e-12)
    assert result.ci_low == pytest.approx(sps.norm.ppf(0.025, mu, sd))
    # expected losses by numerical integration
    loss_treatment = integrate.quad(lambda x: -x * sps.norm.pdf(x, mu, sd), -np.inf, 0)[0]
    loss_control = integrate.quad(lambda x: x * sps.norm.pdf(x, mu, sd), 0, np.inf)[0]
    assert result.risk_treatment == pytest.approx(loss_treatment, rel=1e-7)
    assert result.risk_control == pytest.approx(loss_control, rel=1e-7)


def test_bayesian_prior_shrinks_and_lower_is_better_flips() -> None:
    control, treatment = Proportion(1000, 100), Proportion(1000, 120)
    flat = bayesian_compare(control, treatment)
    prior = GaussianPrior(0.0, 0.01)
    shrunk = bayesian_compare(control, treatment, prior=prior)
    data_var = flat.std_dev**2
    assert shrunk.expected == pytest.approx(flat.expected * (1 / data_var) / (1 / data_var + 1 / 0.01))
    assert abs(shrunk.expected) < abs(flat.expected)
    inverse = bayesian_compare(control, treatment, higher_is_better=False)
    assert inverse.chance_to_win == pytest.approx(1 - flat.chance_to_win)
    swapped = (flat.risk_treatment, flat.risk_control)
    assert (inverse.risk_control, inverse.risk_treatment) == pytest.approx(swapped)
    with pytest.raises(ValueError):
        GaussianPrior(0.0, 0.0)
