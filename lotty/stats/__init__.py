"""Statistics for experiment reports: pure functions from per-variant sufficient statistics.

The warehouse (SQL in `sql/reports/`) returns per-variant sums; this package turns them into
lifts, intervals, p-values, a Bayesian read-out and the sample-ratio-mismatch check. No I/O, no
duckdb, no scipy: the distributions live in `lotty.stats.distributions`. See docs/statistics.md.
"""

from lotty.stats.bayesian import BayesianComparison, GaussianPrior, bayesian_compare
from lotty.stats.distributions import (
    chi2_sf,
    norm_cdf,
    norm_ppf,
    norm_sf,
    t_cdf,
    t_ppf,
    t_sf,
)
from lotty.stats.frequentist import Comparison, EffectMoments, compare, effect_moments, value_of, welch_df
from lotty.stats.quantiles import order_statistic_ranks, quantile_ci_ranks, quantile_standard_error
from lotty.stats.srm import SRM_THRESHOLD, SrmResult, srm_test
from lotty.stats.statistics import Proportion, QuantileSample, Ratio, SampleMean, Statistic

__all__ = [
    "SRM_THRESHOLD",
    "BayesianComparison",
    "Comparison",
    "EffectMoments",
    "GaussianPrior",
    "Proportion",
    "QuantileSample",
    "Ratio",
    "SampleMean",
    "SrmResult",
    "Statistic",
    "bayesian_compare",
    "chi2_sf",
    "compare",
    "effect_moments",
    "norm_cdf",
    "norm_ppf",
    "norm_sf",
    "order_statistic_ranks",
    "quantile_ci_ranks",
    "quantile_standard_error",
    "srm_test",
    "t_cdf",
    "t_ppf",
    "t_sf",
    "value_of",
    "welch_df",
]
