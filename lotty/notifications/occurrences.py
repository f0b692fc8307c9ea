"""What happened, as a notification: the three events of SPEC §6 and who may hear about them.

An `Occurrence` is built where the fact is recorded (a lifecycle transition, a guardrail action, a
sample-ratio check) and queued in the same transaction; channels render it at send time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lotty.model import Experiment


@dataclass(frozen=True, slots=True)
class Occurrence:
    event: str
    occurred_at: datetime
    experiment: str
    flag: str
    owner: str
    dedup_key: str  # the same fact repeated has the same key (what a rule's dedup window compares)
    text: str  # one human sentence, what chat channels show
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def about(
        cls,
        experiment: Experiment,
        event: str,
        now: datetime,
        dedup_key: str,
        text: str,
        data: Mapping[str, Any],
    ) -> Occurrence:
        """An occurrence of `event` on `experiment` (its key, flag and owner are what scopes match)."""
        return cls(event, now, experiment.key, experiment.flag, experiment.owner, dedup_key, text, data)

    def payload(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "occurred_at": self.occurred_at.isoformat(),
            "experiment": self.experiment,
            "flag": self.flag,
            "owner": self.owner,
            "text": self.text,
            "data": dict(self.data),
        }


def status_changed(
    before_status: str, after: Experiment, action: str, actor: str, comment: str | None, now: datetime
) -> Occurrence:
    text = f"Experiment {after.key!r} (flag {after.flag!r}) is now {after.status}, was {before_status}"
    text += f": {action.replace('_', ' ')} by {actor}"
    if comment:
        text += f" ({comment})"
    return Occurrence.about(
        after,
        event="experiment_status_changed",
        now=now,
        dedup_key=f"{after.key}:{before_status}->{after.status}",
        text=text,
        data={
            "from": before_status,
            "to": after.status,
            "action": action,
            "actor": actor,
            "comment": comment,
        },
    )


def guardrail_triggered(
    experiment: Experiment, action: str, guardrail: str, triggers: Sequence[Mapping[str, Any]], now: datetime
) -> Occurrence:
    """`triggers` are the trigger records written for this action (the first is the deciding one)."""
    verb = "rolled back" if action == "rollback" else "paused"
    details = "; ".join(
        f"{t['metric']} {t['operator']} {t['threshold']:g} over {t['window_minutes']} min in variant "
        f"{t['variant']!r}: observed {t['observed_value']:g} with {t['samples']} exposed subjects"
        for t in triggers
    )
    return Occurrence.about(
        experiment,
        event="guardrail_triggered",
        now=now,
        dedup_key=f"{experiment.key}:{guardrail}",
        text=f"Experiment {experiment.key!r} was {verb} by guardrail {guardrail}: {details}",
        data={
            "action": action,
            "status": experiment.status,
            "guardrail": guardrail,
            "triggers": list(triggers),
        },
    )


def srm_detected(
    experiment: Experiment,
    observed: Mapping[str, int],
    expected: Mapping[str, float],
    p_value: float,
    now: datetime,
) -> Occurrence:
    counts = ", ".join(f"{name} {observed[name]} (expected {expected[name]:.0f})" for name in observed)
    return Occurrence.about(
        experiment,
        event="srm_detected",
        now=now,
        dedup_key=experiment.key,
        text=(
            f"Sample ratio mismatch in experiment {experiment.key!r}: exposed subjects {counts}; "
            f"chi-square p = {p_value:.3g}. Its results cannot be trusted until the cause is found."
        ),
        data={"observed": dict(observed), "expected": dict(expected), "p_value": p_value},
    )


def in_scope(scope_kind: str | None, scope_key: str | None, occurrence: Occurrence) -> bool:
    """A rule without a scope hears every experiment; otherwise the experiment, flag or owner matches."""
    if scope_kind is None:
        return True
    subject = {"experiment": occurrence.experiment, "flag": occurrence.flag, "owner": occurrence.owner}
    return subject[scope_kind] == scope_key
