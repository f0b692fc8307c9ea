"""The scheduled sample-ratio check: a running experiment whose exposed subjects split far from
its configured weights (chi-square p < 0.001, as in reports) queues an `srm_detected`
notification. It reads nothing when no rule listens for that event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lotty.catalog.experiments import require_experiment
from lotty.model import Experiment
from lotty.notifications.occurrences import Occurrence, srm_detected
from lotty.notifications.outbox import enqueue
from lotty.reports.assembly import variant_order
from lotty.stats import srm_test
from lotty.store import Store

# Below this many exposed subjects the chi-square approximation is poor and an early, noisy
# split would page people for nothing.
MIN_SUBJECTS = 100


@dataclass(frozen=True, slots=True)
class SampleRatio:
    experiment: str
    observed: dict[str, int]
    expected: dict[str, float]
    p_value: float | None
    mismatch: bool


def sample_ratio(experiment: Experiment, rows: Sequence[Mapping[str, Any]]) -> SampleRatio:
    """Pure: the SRM test of one experiment's exposed subjects per variant against its weights."""
    order = variant_order(experiment, rows)
    counts = {row["variant"]: int(row["subjects"]) for row in rows}
    result = srm_test([counts.get(name, 0) for name, _, _ in order], [weight for _, _, weight in order])
    names = [name for name, _, _ in order]
    return SampleRatio(
        experiment=experiment.key,
        observed=dict(zip(names, result.observed, strict=True)),
        expected=dict(zip(names, result.expected, strict=True)),
        p_value=result.p_value,
        mismatch=result.mismatch and sum(result.observed) >= MIN_SUBJECTS,
    )


def check_sample_ratios(store: Store, now: datetime) -> list[SampleRatio]:
    """Test every running experiment; queue `srm_detected` for each mismatch. Returns the mismatches."""
    with store.read() as tx:
        if not tx.fetch_all("notifications/rules_for_event", event="srm_detected"):
            return []
        rows = tx.fetch_all("guardrails/exposed_subjects")
        by_experiment: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_experiment.setdefault(row["experiment"], []).append(row)
        experiments = {key: require_experiment(tx, key) for key in by_experiment}
    mismatches = [
        ratio
        for key, experiment_rows in by_experiment.items()
        if (ratio := sample_ratio(experiments[key], experiment_rows)).mismatch
    ]
    if mismatches:
        with store.transaction(catalog=False) as tx:
            for ratio in mismatches:
                enqueue(tx, _occurrence(experiments[ratio.experiment], ratio, now), now)
    return mismatches


def _occurrence(experiment: Experiment, ratio: SampleRatio, now: datetime) -> Occurrence:
    assert ratio.p_value is not None
    return srm_detected(experiment, ratio.observed, ratio.expected, ratio.p_value, now)
