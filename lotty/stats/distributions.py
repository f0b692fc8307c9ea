"""Normal, Student t and chi-square distributions in pure Python.

The runtime must not depend on scipy, so the few distribution functions the statistics need are
implemented here from the standard special functions:

- normal cdf/sf from `math.erfc`; the normal quantile from Acklam's rational approximation
  polished by Halley steps against `erfc` (relative error near machine precision);
- Student t cdf/sf from the regularized incomplete beta function I_x(a, b), evaluated with the
  modified Lentz continued fraction (Numerical Recipes §6.4); the t quantile by a safeguarded
  Newton iteration on the log tail probability;
- the chi-square survival function from the regularized upper incomplete gamma function
  Q(a, x) (series for small x, Lentz continued fraction otherwise; Numerical Recipes §6.2).

Everything is checked against scipy on grids in `tests/unit/test_stats.py` (agreement ~1e-12).
Tails are computed directly (never as `1 - cdf`), so small p-values keep their relative accuracy.
"""

from __future__ import annotations

import math

__all__ = [
    "chi2_sf",
    "norm_cdf",
    "norm_pdf",
    "norm_ppf",
    "norm_sf",
    "regularized_beta",
    "regularized_gamma_q",
    "t_cdf",
    "t_pdf",
    "t_ppf",
    "t_sf",
]

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_CF_EPS = 1e-15  # relative change that ends a continued fraction (a few ulps)
_CF_TINY = 1e-300
_CF_MAX_ITER = 10_000
# Beyond this many degrees of freedom (and for df = inf) the t distribution is evaluated as the
# normal plus its first-order 1/df correction (Abramowitz & Stegun 26.7.5); the next term is
# below 1e-20 there, while the continued fraction would start to lose precision (a + 1 == a).
_T_ASYMPTOTIC_DF = 1e14


# --------------------------------------------------------------------------------------------
# Normal distribution
# --------------------------------------------------------------------------------------------


def norm_pdf(x: float) -> float:
    """Standard normal density."""
    return math.exp(-0.5 * x * x) / _SQRT2PI


def norm_cdf(x: float) -> float:
    """Standard normal distribution function P(Z <= x)."""
    return 0.5 * math.erfc(-x / _SQRT2)


def norm_sf(x: float) -> float:
    """Standard normal survival function P(Z > x), accurate far into the upper tail."""
    return 0.5 * math.erfc(x / _SQRT2)


# Acklam's coefficients (central region and tails).
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


def _norm_ppf_lower(p: float) -> float:
    """Quantile for 0 < p <= 0.5 (so the result is <= 0)."""
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
    else:
        q = p - 0.5
        r = q * q
        x = (
            (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
            * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
        )
    # Halley refinement against erfc; two steps take Acklam's 1e-9 to machine precision.
    for _ in range(2):
        if 0.5 * x * x > 700.0:  # exp would overflow: p is subnormal, Acklam is already fine
            break
        e = norm_cdf(x) - p
        u = e * _SQRT2PI * math.exp(0.5 * x * x)
        x = x - u / (1.0 + 0.5 * x * u)
    return x


def norm_ppf(p: float) -> float:
    """Standard normal quantile (inverse cdf); -inf at 0 and +inf at 1."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {p!r}")
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p <= 0.5:
        return _norm_ppf_lower(p)
    return -_norm_ppf_lower(1.0 - p)  # 1 - p is exact for p in [0.5, 1]


# --------------------------------------------------------------------------------------------
# Gamma and beta helpers
# --------------------------------------------------------------------------------------------


def _stirling_tail(x: float) -> float:
    """lgamma(x) - [(x - 1/2) log x - x + log(2 pi)/2] for x >= 15 (error < 1e-16)."""
    r = 1.0 / x
    r2 = r * r
    return r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 * (1.0 / 1680.0 - r2 / 1188.0))))


def _lgamma_shift(a: float, b: float) -> float:
    """log Gamma(a + b) - log Gamma(a), without cancellation when a is large."""
    if a < 15.0:
        return math.lgamma(a + b) - math.lgamma(a)
    return (a - 0.5) * math.log1p(b / a) + b * math.log(a + b) - b + _stirling_tail(a + b) - _stirling_tail(a)


def _lbeta(a: float, b: float) -> float:
    """log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b)."""
    small, big = (a, b) if a <= b else (b, a)
    return math.lgamma(small) - _lgamma_shift(big, small)


def _beta_continued_fraction(a: float, b: float, x: float, y: float) -> float:
    """Continued fraction for I_x(a, b) (modified Lentz); converges fast for x < (a+1)/(a+b+2).

    This is the even contraction of the Numerical Recipes fraction 1/(1+d1/(1+d2/(1+...))):
    1/(B0 - N1/(B1 - N2/(B2 - ...))) with B0 = 1 + d1, Bk = 1 + d(2k) + d(2k+1) and
    Nk = d(2k-1) d(2k). For x close to 1 and large `a` (the t distribution with many degrees
    of freedom) each 1 + d(odd) is a difference of two numbers close to 1; there it is evaluated
    in closed form from y = 1 - x instead, which keeps full precision.
    """
    use_y = x > 0.5

    def one_plus_odd(m: int) -> float:  # 1 + d(2m+1)
        den = (a + 2 * m) * (a + 2 * m + 1)
        if use_y:
            return (a * (2 * m + 1 - b) + m * (3 * m + 2 - b) + (a + m) * (a + b + m) * y) / den
        return 1.0 - (a + m) * (a + b + m) * x / den

    def odd(m: int) -> float:  # d(2m+1)
        return -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))

    def even(m: int) -> float:  # d(2m)
        return m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))

    # Modified Lentz for g = B0 + (-N1)/(B1 + (-N2)/(B2 + ...)); the fraction is 1/g.
    g = one_plus_odd(0)
    if abs(g) < _CF_TINY:
        g = _CF_TINY
    c = g
    d = 0.0
    for k in range(1, _CF_MAX_ITER):
        d_even = even(k)
        num = -odd(k - 1) * d_even
        den = one_plus_odd(k) + d_even
        d = den + num * d
        if abs(d) < _CF_TINY:
            d = _CF_TINY
        c = den + num / c
        if abs(c) < _CF_TINY:
            c = _CF_TINY
        d = 1.0 / d
        delta = c * d
        g *= delta
        if abs(delta - 1.0) < _CF_EPS:
            return 1.0 / g
    raise ArithmeticError("incomplete beta continued fraction did not converge")  # pragma: no cover


def _regularized_beta_pair(
    a: float, b: float, x: float, y: float, log_x: float | None = None, log_y: float | None = None
) -> tuple[float, float]:
    """(I_x(a, b), 1 - I_x(a, b)) where y = 1 - x is passed separately to avoid cancellation.

    `log_x`/`log_y` may be given when the caller can compute them more precisely than `log(x)`
    (for x near 1 and large `a`, the rounding of x itself would dominate the error).
    The member computed from the continued fraction is accurate in relative terms; the other one
    is its complement and is only used when it is not small.
    """
    if x <= 0.0:
        return 0.0, 1.0
    if y <= 0.0:
        return 1.0, 0.0
    lx = math.log(x) if log_x is None else log_x
    ly = math.log(y) if log_y is None else log_y
    log_front = a * lx + b * ly - _lbeta(a, b)
    if x < (a + 1.0) / (a + b + 2.0):
        value = math.exp(log_front) * _beta_continued_fraction(a, b, x, y) / a
        return value, 1.0 - value
    complement = math.exp(log_front) * _beta_continued_fraction(b, a, y, x) / b
    return 1.0 - complement, complement


def regularized_beta(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if a <= 0.0 or b <= 0.0:
        raise ValueError("a and b must be positive")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x must be in [0, 1], got {x!r}")
    return _regularized_beta_pair(a, b, x, 1.0 - x)[0]


def regularized_gamma_q(a: float, x: float) -> float:
    """Regularized upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a)."""
    if a <= 0.0:
        raise ValueError("a must be positive")
    if x <= 0.0:
        return 1.0
    if math.isinf(x):
        return 0.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:
        # Series for P(a, x); Q = 1 - P is not small in this region.
        ap = a
        term = 1.0 / a
        total = term
        for _ in range(_CF_MAX_ITER):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * _CF_EPS:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    # Continued fraction for Q(a, x) (modified Lentz).
    b = x + 1.0 - a
    c = 1.0 / _CF_TINY
    d = 1.0 / b
    h = d
    for i in range(1, _CF_MAX_ITER):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < _CF_TINY:
            d = _CF_TINY
        c = b + an / c
        if abs(c) < _CF_TINY:
            c = _CF_TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _CF_EPS:
            break
    return math.exp(log_front) * h


# --------------------------------------------------------------------------------------------
# Student t distribution
# --------------------------------------------------------------------------------------------


def _check_df(df: float) -> None:
    if not df > 0.0:  # also rejects NaN
        raise ValueError(f"degrees of freedom must be positive, got {df!r}")


def t_pdf(x: float, df: float) -> float:
    """Student t density with `df` degrees of freedom (df may be +inf: the normal density)."""
    _check_df(df)
    if df > _T_ASYMPTOTIC_DF:
        x2 = x * x
        return norm_pdf(x) * (1.0 + (x2 * x2 - 2.0 * x2 - 1.0) / (4.0 * df))
    log_norm = _lgamma_shift(0.5 * df, 0.5) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - 0.5 * (df + 1.0) * math.log1p(x * x / df))


def _t_tail(x: float, df: float) -> float:
    """P(T > |x|): the one-sided tail beyond |x|, accurate in relative terms."""
    ax = abs(x)
    if ax == 0.0:
        return 0.5
    if math.isinf(ax):
        return 0.0
    if df > _T_ASYMPTOTIC_DF:
        return norm_sf(ax) + norm_pdf(ax) * ax * (ax * ax + 1.0) / (4.0 * df)
    t2 = ax * ax
    denom = df + t2
    ratio = t2 / df
    if ratio == 0.0:  # |x| below ~1e-150: the tail is 1/2 to double precision
        return 0.5
    # I_{df/(df+t^2)}(df/2, 1/2) = 2 P(T > |x|); logs taken without forming 1 - small.
    log_x = -math.log1p(ratio)
    log_y = math.log(ratio) + log_x
    value, _ = _regularized_beta_pair(0.5 * df, 0.5, df / denom, t2 / denom, log_x, log_y)
    return 0.5 * value


def t_sf(x: float, df: float) -> float:
    """Student t survival function P(T > x)."""
    _check_df(df)
    tail = _t_tail(x, df)
    return tail if x >= 0.0 else 1.0 - tail


def t_cdf(x: float, df: float) -> float:
    """Student t distribution function P(T <= x)."""
    _check_df(df)
    tail = _t_tail(x, df)
    return tail if x <= 0.0 else 1.0 - tail


def _t_upper_quantile(q: float, df: float) -> float:
    """The x >= 0 with P(T > x) = q, for 0 < q <= 0.5."""
    z = -_norm_ppf_lower(q)
    # Cornish-Fisher start; the bracket keeps Newton safe when it is poor (small df).
    z2 = z * z
    x = z + z * (z2 + 1.0) / (4.0 * df) + z * ((5.0 * z2 + 16.0) * z2 + 3.0) / (96.0 * df * df)
    lo, hi = 0.0, math.inf
    log_q = math.log(q)
    for _ in range(400):
        tail = _t_tail(x, df)
        if tail == q:
            return x
        if tail > q:
            lo = x
        else:
            hi = x
        # Newton on log P(T > x): d/dx log tail = -pdf / tail.
        pdf = t_pdf(x, df)
        step = (math.log(tail) - log_q) * tail / pdf if pdf > 0.0 and tail > 0.0 else math.nan
        candidate = x + step
        if not (lo < candidate < hi) or math.isnan(candidate):
            candidate = 2.0 * x + 1.0 if math.isinf(hi) else 0.5 * (lo + hi)
        if abs(candidate - x) <= 4e-16 * max(1.0, abs(x)):
            return candidate
        if not math.isinf(hi) and hi - lo <= 4e-16 * max(1.0, hi):
            return candidate
        x = candidate
    return x  # pragma: no cover - the bracket always converges well before this


def t_ppf(p: float, df: float) -> float:
    """Student t quantile (inverse cdf) with `df` degrees of freedom."""
    _check_df(df)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {p!r}")
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -_t_upper_quantile(p, df)
    return _t_upper_quantile(1.0 - p, df)


# --------------------------------------------------------------------------------------------
# Chi-square distribution
# --------------------------------------------------------------------------------------------


def chi2_sf(x: float, df: float) -> float:
    """Chi-square survival function P(X > x) with `df` degrees of freedom."""
    if not df > 0.0:
        raise ValueError(f"degrees of freedom must be positive, got {df!r}")
    if x <= 0.0:
        return 1.0
    return regularized_gamma_q(0.5 * df, 0.5 * x)
