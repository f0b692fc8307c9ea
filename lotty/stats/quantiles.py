"""Order-statistic confidence intervals for percentiles, and which quantile levels SQL must compute.

A distribution-free confidence interval for the p-quantile of n i.i.d. values is a pair of order
statistics [X(l), X(u)]: the number B of values below the true quantile is Binomial(n, p), and
P(X(l) <= q_p < X(u)) = P(l <= B <= u - 1). With the normal approximation to the binomial and a
continuity correction, rounded outwards so the coverage is at least nominal,

    l = floor(n p + 1/2 - z sqrt(n p (1 - p))),    u = ceil(n p + 1/2 + z sqrt(n p (1 - p))),

(Hahn & Meeker 1991, "Statistical Intervals", §5.2; Conover 1999, §3.2). DuckDB's
`quantile_cont(x, level)` interpolates at 1-based position 1 + level (n - 1), so the order statistic
X(k) is `quantile_cont(x, (k - 1) / (n - 1))`: `quantile_ci_ranks` returns those two levels, and
the SQL computes the quantile at [p, level_low, level_high] in one aggregate per variant.

The same bracket gives the standard error used to compare variants (Siddiqui-Bloch-Gastwirth
density estimate; see `QuantileSample.standard_error`), which is how GrowthBook compares
quantiles: a normal-theory test on the difference of two sample quantiles whose variances come
from the order-statistic interval widths.
"""

from __future__ import annotations

import math

from lotty.stats.distributions import norm_ppf
from lotty.stats.statistics import QuantileSample

__all__ = ["order_statistic_ranks", "quantile_ci_ranks", "quantile_standard_error"]


def _check(n: int, p: float, alpha: float) -> None:
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n!r}")
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


def _unclipped_ranks(n: int, p: float, alpha: float) -> tuple[int, int]:
    z = norm_ppf(1.0 - alpha / 2.0)
    half_width = z * math.sqrt(n * p * (1.0 - p))
    centre = n * p + 0.5
    return math.floor(centre - half_width), math.ceil(centre + half_width)


def order_statistic_ranks(n: int, p: float, alpha: float = 0.05) -> tuple[int, int]:
    """1-based ranks (l, u) with [X(l), X(u)] a (1 - alpha) confidence interval for the p-quantile.

    Ranks are clipped to [1, n]; when clipping happens the interval is a lower bound on coverage
    only (too few values for an interval at this level) and `quantile_standard_error` reports None.
    For n = 0 the answer is (0, 0).
    """
    _check(n, p, alpha)
    if n == 0:
        return 0, 0
    low, high = _unclipped_ranks(n, p, alpha)
    return max(1, min(n, low)), max(1, min(n, high))


def quantile_ci_ranks(n: int, p: float, alpha: float = 0.05) -> tuple[float, float]:
    """The quantile LEVELS (level_low, level_high) the SQL must also compute with `quantile_cont`.

    `quantile_cont(x, level_low)` and `quantile_cont(x, level_high)` over the n values of a variant
    are exactly the order statistics X(l) and X(u) of `order_statistic_ranks(n, p, alpha)`.
    For n < 2 there is no interval and (0.0, 1.0) is returned (the sample minimum and maximum).
    """
    _check(n, p, alpha)
    if n < 2:
        return 0.0, 1.0
    low, high = order_statistic_ranks(n, p, alpha)
    return (low - 1) / (n - 1), (high - 1) / (n - 1)


def quantile_standard_error(sample: QuantileSample) -> float | None:
    """Standard error of the sample quantile, or None when it cannot be estimated.

    None when n < 2, when the bracket was clipped at the sample minimum or maximum (level 0 or 1:
    too few values in the tail for the requested level), or when the bracket has zero width
    (ties: the density estimate is degenerate).
    """
    if sample.n < 2 or sample.level_low <= 0.0 or sample.level_high >= 1.0:
        return None
    se = sample.standard_error
    if not (se > 0.0 and math.isfinite(se)):
        return None
    return se
