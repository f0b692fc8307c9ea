"""Per-variant sufficient statistics, as the warehouse returns them.

Each value object carries only sums the SQL can compute in one scan (counts, sums, sums of
squares, cross sums, a few quantiles) and derives the mean and the *per-unit* variance from them,
in the style of GrowthBook's gbstats `SampleMeanStatistic`. The variance of the estimated mean is
always `variance / n`, whichever the kind, so the tests in `frequentist` treat them alike.

Inputs are coerced to float/int on construction (DuckDB may hand back `Decimal` or `HUGEINT`);
impossible inputs (negative counts, more successes than trials) raise `ValueError`, because they
can only come from a bug upstream. Degenerate but possible inputs (n = 0, n = 1, zero variance) are
valid and give 0.0 means/variances; `compare` turns them into null results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Proportion", "QuantileSample", "Ratio", "SampleMean", "Statistic"]


def _count(value: object, name: str) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        number = -1
    if number < 0 or number != value:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return number


def _real(value: object, name: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


# Sums of squares lose precision to cancellation: when the centred sum is below this fraction of
# the raw one it is rounding noise (a constant metric), and the variance is taken to be zero
# rather than letting a 1e-17 "variance" produce a spurious p-value.
_CANCELLATION = 1e-12


def _sample_variance(n: int, total: float, total_squares: float) -> float:
    """Unbiased sample variance from sums; 0.0 for n < 2, for rounding noise, and never negative."""
    if n < 2:
        return 0.0
    centred = total_squares - total * total / n
    if centred <= _CANCELLATION * abs(total_squares):
        return 0.0
    return centred / (n - 1)


@dataclass(frozen=True, slots=True)
class SampleMean:
    """A mean over `n` units (subjects or events) from the sum and the sum of squares.

    Used for `count` and `sum` metrics per exposed subject (units are subjects, zeros included)
    and for `average` metrics (units are events).
    """

    n: int
    sum: float
    sum_squares: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", _count(self.n, "n"))
        object.__setattr__(self, "sum", _real(self.sum, "sum"))
        object.__setattr__(self, "sum_squares", _real(self.sum_squares, "sum_squares"))

    @property
    def mean(self) -> float:
        """sum / n, 0.0 when n = 0."""
        return self.sum / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        """Sample variance of one unit (denominator n - 1); 0.0 when n < 2."""
        return _sample_variance(self.n, self.sum, self.sum_squares)


@dataclass(frozen=True, slots=True)
class Proportion:
    """The share of `n` units with a success (`conversion` metrics): Bernoulli mean."""

    n: int
    successes: int

    def __post_init__(self) -> None:
        n = _count(self.n, "n")
        successes = _count(self.successes, "successes")
        if successes > n:
            raise ValueError(f"successes ({successes}) cannot exceed n ({n})")
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "successes", successes)

    @property
    def mean(self) -> float:
        """successes / n, 0.0 when n = 0."""
        return self.successes / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        """Bernoulli variance p (1 - p) of one unit (as gbstats: no n - 1 correction)."""
        p = self.mean
        return p * (1.0 - p)


@dataclass(frozen=True, slots=True)
class Ratio:
    """A ratio of two per-unit sums, sum(M) / sum(D), over `n` units (`ratio` metrics).

    M and D are per-subject values (e.g. numerator and denominator event counts of one subject);
    `md_cross_sum` is sum(M * D) over subjects. The variance of the ratio of means comes from the
    delta method (Deng, Knoblich & Lu 2018): Var(M/D) ~ var_m/mu_d^2 + mu_m^2 var_d/mu_d^4
    - 2 mu_m cov_md / mu_d^3, per unit.
    """

    n: int
    m_sum: float
    m_sum_squares: float
    d_sum: float
    d_sum_squares: float
    md_cross_sum: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", _count(self.n, "n"))
        for name in ("m_sum", "m_sum_squares", "d_sum", "d_sum_squares", "md_cross_sum"):
            object.__setattr__(self, name, _real(getattr(self, name), name))

    @property
    def numerator(self) -> SampleMean:
        return SampleMean(self.n, self.m_sum, self.m_sum_squares)

    @property
    def denominator(self) -> SampleMean:
        return SampleMean(self.n, self.d_sum, self.d_sum_squares)

    @property
    def covariance(self) -> float:
        """Sample covariance of M and D per unit; 0.0 when n < 2."""
        if self.n < 2:
            return 0.0
        return (self.md_cross_sum - self.m_sum * self.d_sum / self.n) / (self.n - 1)

    @property
    def mean(self) -> float:
        """sum(M) / sum(D); 0.0 when the denominator is 0 (reported as null by the report)."""
        return self.m_sum / self.d_sum if self.d_sum else 0.0

    @property
    def variance(self) -> float:
        """Delta-method variance of the ratio per unit (Var(ratio estimate) = variance / n)."""
        if self.n < 2 or self.d_sum == 0.0:
            return 0.0
        mean_m = self.m_sum / self.n
        mean_d = self.d_sum / self.n
        positive = self.numerator.variance / mean_d**2 + self.denominator.variance * mean_m**2 / mean_d**4
        value = positive - 2.0 * self.covariance * mean_m / mean_d**3
        # M proportional to D makes the terms cancel exactly; what is left is rounding noise.
        return value if value > _CANCELLATION * positive else 0.0


@dataclass(frozen=True, slots=True)
class QuantileSample:
    """A sample quantile with the two order statistics that bracket it (`percentile` metrics).

    The SQL computes, per variant, `n` (number of events), `value = quantile_cont(x, quantile_p)`
    and `lower`/`upper = quantile_cont(x, level_low/level_high)`, where the levels come from
    `lotty.stats.quantiles.quantile_ci_ranks(n, quantile_p, alpha)` (a first cheap COUNT gives n;
    or a grid of n as GrowthBook does). [lower, upper] is then the distribution-free
    order-statistic confidence interval of the quantile at that alpha, and its width also gives
    the standard error used to compare two variants (see `standard_error`).
    """

    n: int
    quantile_p: float
    value: float
    lower: float
    upper: float
    level_low: float
    level_high: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", _count(self.n, "n"))
        for name in ("quantile_p", "value", "lower", "upper", "level_low", "level_high"):
            object.__setattr__(self, name, _real(getattr(self, name), name))
        if not 0.0 < self.quantile_p < 1.0:
            raise ValueError(f"quantile_p must be in (0, 1), got {self.quantile_p!r}")
        if not 0.0 <= self.level_low <= self.level_high <= 1.0:
            raise ValueError("levels must satisfy 0 <= level_low <= level_high <= 1")
        if self.lower > self.upper:
            raise ValueError("lower must not exceed upper")

    @property
    def mean(self) -> float:
        """The point estimate (named `mean` so every statistic answers the same question)."""
        return self.value

    @property
    def standard_error(self) -> float:
        """Standard error of the sample quantile from the order-statistic bracket.

        Asymptotically Var(q_hat) = p (1 - p) / (n f(q)^2) (Bahadur); the density f(q) is estimated
        by the spacing of the bracketing order statistics (Siddiqui 1960; Bloch & Gastwirth 1968):
        f ~ (F_high - F_low) / (upper - lower), where F = (1 + level (n - 1)) / (n + 1) is the
        expected cdf value at the order statistic `quantile_cont` returns for `level`.
        With the levels of `quantile_ci_ranks` this is ~ (upper - lower) / (2 z), GrowthBook's
        estimate. 0.0 when it cannot be estimated (n < 2, empty bracket).
        """
        if self.n < 2 or self.level_high <= self.level_low:
            return 0.0
        spacing = (self.level_high - self.level_low) * (self.n - 1) / (self.n + 1)
        p = self.quantile_p
        return math.sqrt(p * (1.0 - p) / self.n) * (self.upper - self.lower) / spacing

    @property
    def variance(self) -> float:
        """Per-unit variance n * se^2, so that variance / n is the quantile's squared error."""
        return self.n * self.standard_error**2


Statistic = SampleMean | Proportion | Ratio | QuantileSample
