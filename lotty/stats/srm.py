"""Sample ratio mismatch: are subjects split across variants as the configured weights say?

Pearson's chi-square goodness-of-fit test of the observed subjects per variant against the
expected counts total * w_i / sum(w), with k - 1 degrees of freedom (as gbstats `check_srm`).
A mismatch is flagged when p < 0.001: at that threshold a healthy experiment raises a false alarm
once in a thousand checks, and a real split bug (a 45/55 split of 10,000 subjects) is unmissable.

Variants with weight 0 take no part in the test when they received nobody; if one received
subjects anyway the assignment is broken and the result is p = 0, mismatch. With no subjects at
all (an empty window) or fewer than two weighted variants there is nothing to test: p_value None,
mismatch False.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lotty.stats.distributions import chi2_sf

__all__ = ["SRM_THRESHOLD", "SrmResult", "srm_test"]

SRM_THRESHOLD = 0.001


@dataclass(frozen=True, slots=True)
class SrmResult:
    """Outcome of the SRM test; `expected` and `observed` are in the order of the input."""

    p_value: float | None
    statistic: float | None
    df: int
    expected: tuple[float, ...]
    observed: tuple[int, ...]
    mismatch: bool


def srm_test(
    observed: Sequence[int], expected_weights: Sequence[float], *, threshold: float = SRM_THRESHOLD
) -> SrmResult:
    """Chi-square test of `observed` counts against `expected_weights` (any positive scale).

    Raises ValueError for inputs no experiment can produce: different lengths, negative counts
    or weights, non-finite weights, or weights that are all zero.
    """
    if len(observed) != len(expected_weights):
        raise ValueError("observed and expected_weights must have the same length")
    counts = tuple(int(o) for o in observed)
    weights = tuple(float(w) for w in expected_weights)
    if any(c < 0 for c in counts) or any(c != o for c, o in zip(counts, observed, strict=True)):
        raise ValueError("observed counts must be non-negative integers")
    if any(not math.isfinite(w) or w < 0.0 for w in weights):
        raise ValueError("weights must be finite and non-negative")
    total_weight = sum(weights)
    if total_weight <= 0.0:
        raise ValueError("at least one weight must be positive")
    total = sum(counts)
    expected = tuple(total * w / total_weight for w in weights)
    tested = [(c, e) for c, e, w in zip(counts, expected, weights, strict=True) if w > 0.0]
    df = len(tested) - 1
    if total == 0:
        return SrmResult(None, None, max(df, 0), expected, counts, False)
    if any(c > 0 and w == 0.0 for c, w in zip(counts, weights, strict=True)):
        return SrmResult(0.0, None, max(df, 0), expected, counts, True)
    if df < 1:
        return SrmResult(None, None, 0, expected, counts, False)
    statistic = sum((c - e) ** 2 / e for c, e in tested)
    p_value = chi2_sf(statistic, df)
    return SrmResult(p_value, statistic, df, expected, counts, p_value < threshold)
