"""Frequentist comparison of a treatment against control: Welch t-test with delta-method lift.

For every statistic kind the estimate of a variant is a mean-like value m with per-unit variance
v (so Var(m) = v / n). The absolute effect is m_t - m_c with variance v_t/n_t + v_c/n_c; the
relative effect (lift) is (m_t - m_c) / |m_c| with the delta-method variance

    v_t / (m_c^2 n_t) + v_c m_t^2 / (m_c^4 n_c)

(gbstats `frequentist_variance`; Deng, Knoblich & Lu 2018). The reference distribution is Student
t with Welch-Satterthwaite degrees of freedom computed from the per-unit variances, as gbstats
does; for quantiles it is the normal (their variance is asymptotic, there is no t to speak of).
Two-sided p-value and (1 - alpha) interval; `significant` means p < alpha.

Inputs that cannot support a test (fewer than 2 units in an arm, a zero control value for a
relative lift, zero total variance, a quantile bracket clipped at the sample edge, overflow) give
`None` for lift, interval and p-value and `significant = False`; nothing raises and no NaN leaks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lotty.stats.distributions import norm_ppf, norm_sf, t_ppf, t_sf
from lotty.stats.quantiles import quantile_standard_error
from lotty.stats.statistics import Proportion, QuantileSample, Ratio, SampleMean, Statistic

__all__ = ["Comparison", "EffectMoments", "compare", "effect_moments", "value_of", "welch_df"]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Treatment against control for one metric.

    `lift` is relative ((t - c) / |c|) when `relative` is true, else the absolute difference; the
    interval and p-value are for `lift`. `difference` is always the absolute t - c (present
    whenever both values exist, even when no test is possible). `df` is the Welch-Satterthwaite
    degrees of freedom (inf for a normal reference).
    """

    control_value: float | None
    treatment_value: float | None
    difference: float | None
    lift: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    significant: bool
    relative: bool
    std_error: float | None = None
    df: float | None = None


@dataclass(frozen=True, slots=True)
class EffectMoments:
    """Estimated effect (relative or absolute), its variance and the reference df."""

    estimate: float
    variance: float
    df: float
    relative: bool


def value_of(stat: Statistic) -> float | None:
    """The reported value of a variant: the mean/proportion/ratio/quantile, None when undefined."""
    if stat.n == 0 or (isinstance(stat, Ratio) and stat.d_sum == 0.0):
        return None
    value = stat.mean
    return value if math.isfinite(value) else None


def welch_df(var_c: float, n_c: int, var_t: float, n_t: int) -> float:
    """Welch-Satterthwaite degrees of freedom from per-unit variances and unit counts."""
    a = var_c / n_c
    b = var_t / n_t
    return (a + b) ** 2 / (a * a / (n_c - 1) + b * b / (n_t - 1))


def _check_pair(control: Statistic, treatment: Statistic) -> None:
    if type(control) is not type(treatment):
        raise TypeError(f"cannot compare {type(control).__name__} with {type(treatment).__name__}")
    if not isinstance(control, SampleMean | Proportion | Ratio | QuantileSample):
        raise TypeError(f"unsupported statistic {type(control).__name__}")


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def effect_moments(
    control: Statistic, treatment: Statistic, *, relative: bool = True
) -> EffectMoments | None:
    """Effect estimate and variance for treatment vs control, or None when no test is possible."""
    _check_pair(control, treatment)
    value_c, value_t = value_of(control), value_of(treatment)
    if value_c is None or value_t is None or control.n < 2 or treatment.n < 2:
        return None
    if relative and value_c == 0.0:
        return None
    try:
        if isinstance(control, QuantileSample) and isinstance(treatment, QuantileSample):
            se_c, se_t = quantile_standard_error(control), quantile_standard_error(treatment)
            if se_c is None or se_t is None:
                return None
            err_c, err_t = se_c * se_c, se_t * se_t  # squared standard errors of the two values
            df = math.inf
        else:
            var_c, var_t = control.variance, treatment.variance
            err_c, err_t = var_c / control.n, var_t / treatment.n
            if err_c + err_t <= 0.0:
                return None
            df = welch_df(var_c, control.n, var_t, treatment.n)
        if relative:
            # |control| keeps "positive lift = treatment higher" for a negative baseline (net
            # revenue); identical to gbstats for the usual positive one.
            estimate = (value_t - value_c) / abs(value_c)
            variance = err_t / value_c**2 + err_c * value_t**2 / value_c**4
        else:
            estimate = value_t - value_c
            variance = err_t + err_c
    except (OverflowError, ZeroDivisionError):
        return None
    if not _finite(estimate, variance) or not variance > 0.0 or not df > 0.0:  # df may be inf
        return None
    return EffectMoments(estimate=estimate, variance=variance, df=df, relative=relative)


def _null(control: Statistic, treatment: Statistic, relative: bool) -> Comparison:
    value_c, value_t = value_of(control), value_of(treatment)
    difference = None
    if value_c is not None and value_t is not None and _finite(value_t - value_c):
        difference = value_t - value_c
    return Comparison(
        control_value=value_c,
        treatment_value=value_t,
        difference=difference,
        lift=None,
        ci_low=None,
        ci_high=None,
        p_value=None,
        significant=False,
        relative=relative,
    )


def compare(
    control: Statistic, treatment: Statistic, *, alpha: float = 0.05, relative: bool = True
) -> Comparison:
    """Compare `treatment` with `control` (both the same statistic kind) at level `alpha`.

    Dispatches on the statistic type: `SampleMean` and `Proportion` (Welch t on means),
    `Ratio` (Welch t on delta-method ratio variances), `QuantileSample` (normal test on the
    difference of quantiles with order-statistic standard errors). Raises TypeError only for
    mismatched or unknown statistic types and ValueError for alpha outside (0, 1).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    moments = effect_moments(control, treatment, relative=relative)
    base = _null(control, treatment, relative)
    if moments is None:
        return base
    se = math.sqrt(moments.variance)
    statistic = moments.estimate / se
    try:
        if math.isinf(moments.df):
            p_value = 2.0 * norm_sf(abs(statistic))
            critical = norm_ppf(1.0 - alpha / 2.0)
        else:
            p_value = 2.0 * t_sf(abs(statistic), moments.df)
            critical = t_ppf(1.0 - alpha / 2.0, moments.df)
    except ArithmeticError:  # defensive: the continued fractions converge on every input tested,
        return base  # but a report must not fail if one ever does not
    half_width = critical * se
    ci_low, ci_high = moments.estimate - half_width, moments.estimate + half_width
    if not _finite(p_value, ci_low, ci_high):
        return base
    return Comparison(
        control_value=base.control_value,
        treatment_value=base.treatment_value,
        difference=base.difference,
        lift=moments.estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=min(1.0, p_value),
        significant=p_value < alpha,
        relative=relative,
        std_error=se,
        df=moments.df,
    )
