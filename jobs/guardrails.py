"""The guardrail job: one pass over every running experiment's rules (SPEC §2.5)."""

from __future__ import annotations

import logging

from lotty import guardrails
from lotty.guardrails import CheckResult
from lotty.instance import Lotty
from lotty.srm_check import check_sample_ratios

log = logging.getLogger("lotty.jobs")


def check_guardrails(lotty: Lotty) -> CheckResult:
    """Flushes the fact writer, evaluates, pauses or rolls back, then tests the running experiments'
    sample ratios (SPEC §6 `srm_detected`); a failure is counted and re-raised (APScheduler logs it
    and the job runs again at its next tick)."""
    result = guardrails.check_guardrails(lotty)
    for ratio in check_sample_ratios(lotty.store, result.checked_at):
        log.warning(
            "sample ratio mismatch on experiment %s: observed %s, p=%.3g",
            ratio.experiment,
            ratio.observed,
            ratio.p_value,
        )
    for taken in result.actions:
        log.warning(
            "guardrail %s on experiment %s (now %s): %s",
            taken.action,
            taken.experiment,
            taken.status,
            ", ".join(
                f"{t.metric} {t.operator} {t.threshold:g} observed {t.observed_value:g}"
                for t in taken.triggers
            ),
        )
    return result
