"""Optional Bayesian read-out: chance to beat control, credible interval and risk.

Follows gbstats' `EffectBayesianABTest`: the data give a normal likelihood for the effect
(relative lift by default) with the same estimate and delta-method variance as the frequentist
test; combined with a Gaussian prior on the effect (flat by default: `prior=None`) the posterior
is normal with

    precision = 1 / v_data + 1 / v_prior,    mean = (e_data / v_data + m_prior / v_prior) / precision.

From the posterior N(mu, s^2):
- chance to win = P(effect > 0) (P(effect < 0) when lower is better);
- credible interval = mu -/+ z(1 - alpha/2) s;
- risk (expected loss) of shipping treatment = E[max(0, -effect)] = s phi(mu/s) - mu Phi(-mu/s),
  of keeping control = E[max(0, effect)] = s phi(mu/s) + mu Phi(mu/s) (swapped when lower is
  better), in the units of the effect.
The null cases are those of `frequentist.compare`: every number is None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lotty.stats.distributions import norm_cdf, norm_pdf, norm_ppf, norm_sf
from lotty.stats.frequentist import effect_moments
from lotty.stats.statistics import Statistic

__all__ = ["BayesianComparison", "GaussianPrior", "bayesian_compare"]


@dataclass(frozen=True, slots=True)
class GaussianPrior:
    """A proper normal prior on the effect, on the scale of the comparison (relative or absolute)."""

    mean: float = 0.0
    variance: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.variance) and self.variance > 0.0):
            raise ValueError("prior mean must be finite and prior variance positive")


@dataclass(frozen=True, slots=True)
class BayesianComparison:
    """Posterior summary of the effect of treatment against control."""

    expected: float | None
    ci_low: float | None
    ci_high: float | None
    chance_to_win: float | None
    risk_control: float | None
    risk_treatment: float | None
    relative: bool
    std_dev: float | None = None


def bayesian_compare(
    control: Statistic,
    treatment: Statistic,
    *,
    alpha: float = 0.05,
    relative: bool = True,
    prior: GaussianPrior | None = None,
    higher_is_better: bool = True,
) -> BayesianComparison:
    """Posterior of the effect of `treatment` over `control` under a normal approximation."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    moments = effect_moments(control, treatment, relative=relative)
    if moments is None:
        return BayesianComparison(None, None, None, None, None, None, relative)
    precision = 1.0 / moments.variance
    weighted = moments.estimate * precision
    if prior is not None:
        precision += 1.0 / prior.variance
        weighted += prior.mean / prior.variance
    mu = weighted / precision
    sd = math.sqrt(1.0 / precision)
    k = mu / sd
    half_width = norm_ppf(1.0 - alpha / 2.0) * sd
    chance_up = norm_sf(-k)  # P(effect > 0)
    density = sd * norm_pdf(k)
    loss_if_up = density - mu * norm_cdf(-k)  # E[max(0, -effect)]
    loss_if_down = density + mu * norm_cdf(k)  # E[max(0, effect)]
    if higher_is_better:
        chance, risk_treatment, risk_control = chance_up, loss_if_up, loss_if_down
    else:
        chance, risk_treatment, risk_control = norm_cdf(-k), loss_if_down, loss_if_up
    return BayesianComparison(
        expected=mu,
        ci_low=mu - half_width,
        ci_high=mu + half_width,
        chance_to_win=chance,
        risk_control=max(0.0, risk_control),
        risk_treatment=max(0.0, risk_treatment),
        relative=relative,
        std_dev=sd,
    )
