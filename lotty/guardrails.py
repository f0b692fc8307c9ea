"""Guardrail evaluation and actions (SPEC §2.5). The rules themselves: `lotty.catalog.guardrails`.

One pass: `read_observations` runs sql/guardrails/evaluate.sql (every rule of every running
experiment, per non-control variant, in one statement); `evaluate_guardrails` (pure) turns those
rows into at most one `Action` per experiment; `apply_actions` pauses or rolls back through the
lifecycle and records a trigger per breach. `check_guardrails` does all three.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from lotty.auth import SYSTEM, Principal, require_admin, require_reader
from lotty.catalog.common import Keyset, naive, new_id, read_page, utc
from lotty.catalog.experiments import require_experiment
from lotty.catalog.lifecycle import transition
from lotty.errors import ConflictError
from lotty.model import CompletionInput, Experiment, Input, Page
from lotty.notifications.occurrences import guardrail_triggered
from lotty.notifications.outbox import enqueue
from lotty.store import Store, Tx

if TYPE_CHECKING:
    from lotty.instance import Lotty

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
ACTION_RANK = {"pause": 1, "rollback": 2}  # rollback beats pause
NEWEST_TRIGGER = Keyset(("triggered_at", "id"), ("after_triggered", "after_id"), (datetime, str))


@dataclass(frozen=True, slots=True)
class Observation:
    """One rule's metric for one non-control variant over the rule's window (a row of the SQL)."""

    guardrail: str
    experiment: str
    variant: str
    metric: str
    operator: str
    threshold: float
    window_minutes: int
    action: str
    min_samples: int
    samples: int
    observed_value: float | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Observation:
        return cls(**{name: row[name] for name in cls.__slots__})

    def breaches(self) -> bool:
        """value <operator> threshold with at least min_samples exposed subjects; null never breaches."""
        value = self.observed_value
        if value is None or not math.isfinite(value) or self.samples < self.min_samples:
            return False
        return OPERATORS[self.operator](value, self.threshold)

    def describe(self) -> str:
        return (
            f"guardrail {self.guardrail} ({self.metric} {self.operator} {self.threshold:g} over "
            f"{self.window_minutes} min) fired for variant {self.variant!r}: observed "
            f"{self.observed_value:g} with {self.samples} exposed subjects"
        )


@dataclass(frozen=True, slots=True)
class Action:
    """What to do to one experiment: the winning action, the breach that decided it, and every breach."""

    experiment: str
    action: str  # "pause" | "rollback"
    cause: Observation
    breaches: tuple[Observation, ...]


class Trigger(msgspec.Struct, kw_only=True):
    """A recorded guardrail trigger (GET /experiments/{key}/guardrail-triggers)."""

    id: str
    experiment: str
    guardrail: str
    variant: str
    metric: str
    operator: str
    threshold: float
    window_minutes: int
    action: str
    observed_value: float
    samples: int
    triggered_at: datetime


class CheckInput(Input, kw_only=True):
    """POST /guardrails/check: `{}` checks every running experiment, `{"experiment": key}` one."""

    experiment: str | None = None


class ActionTaken(msgspec.Struct, kw_only=True):
    experiment: str
    action: str
    status: str
    triggers: list[Trigger]


class CheckResult(msgspec.Struct, kw_only=True):
    """One pass: the rules (per variant) evaluated, and the experiments acted on with their triggers."""

    checked_at: datetime
    evaluated: int
    actions: list[ActionTaken]


# -- pure ----------------------------------------------------------------------------------------
def evaluate_guardrails(rows: Iterable[Observation | Mapping[str, Any]], now: datetime) -> list[Action]:
    """At most one action per experiment: rollback if any rollback rule breaches, else pause.

    `rows` are observations (or the SQL's rows) already computed for the window ending at `now`;
    `now` is kept in the signature so callers (and backtests) state the time they evaluate at.
    Actions come in experiment order, breaches in (guardrail, variant) order.
    """
    del now  # the SQL applied the windows; the decision itself does not depend on the clock
    by_experiment: dict[str, list[Observation]] = {}
    for row in rows:
        observation = row if isinstance(row, Observation) else Observation.from_row(row)
        if observation.breaches():
            by_experiment.setdefault(observation.experiment, []).append(observation)
    actions = []
    for experiment in sorted(by_experiment):
        breaches = tuple(sorted(by_experiment[experiment], key=lambda o: (o.guardrail, o.variant)))
        winner = max(ACTION_RANK[b.action] for b in breaches)
        cause = next(b for b in breaches if ACTION_RANK[b.action] == winner)
        actions.append(Action(experiment, cause.action, cause, breaches))
    return actions


# -- reading and acting --------------------------------------------------------------------------
def read_observations(
    store: Store, now: datetime, experiment: str | None = None, *, running_only: bool = True
) -> list[Observation]:
    """Every rule of every running experiment (or only of `experiment`) per non-control variant;
    `running_only=False` evaluates experiments in any status (backtests)."""
    with store.read() as tx:
        rows = tx.fetch_all(
            "guardrails/evaluate", now=naive(now), experiment=experiment, running_only=running_only
        )
    return [Observation.from_row(row) for row in rows]


def apply_actions(lotty: Lotty, actions: Iterable[Action], now: datetime) -> list[ActionTaken]:
    """Pause or roll back each experiment (as `system`) and record why.

    One transaction per experiment: the status, the audit entry carrying the triggers, the trigger
    rows and the queued notifications commit together. An experiment that is no longer running
    (someone paused or completed it since the read) is skipped: nothing fired on it.
    """
    taken = []
    for action in actions:
        triggers = [_trigger(b, now) for b in action.breaches]
        reason = {"guardrail": _reason(action, triggers)}
        comment = f"automatic {action.action}: {action.cause.describe()}"

        def record(
            tx: Tx, experiment: Experiment, action: Action = action, triggers: list[Trigger] = triggers
        ) -> None:
            """With the transition: the trigger rows and the `guardrail_triggered` notification."""
            rows = [msgspec.structs.asdict(t) for t in triggers]
            for row in rows:
                tx.execute("guardrails/insert_trigger", **{**row, "triggered_at": naive(row["triggered_at"])})
            occurrence = guardrail_triggered(experiment, action.action, action.cause.guardrail, rows, now)
            enqueue(tx, occurrence, now)

        try:
            if action.action == "rollback":
                after = transition(
                    lotty.store,
                    SYSTEM,
                    action.experiment,
                    "complete",
                    now,
                    completion=CompletionInput(outcome="rollback", comment=comment),
                    reason=reason,
                    also=record,
                )
            else:
                after = transition(
                    lotty.store,
                    SYSTEM,
                    action.experiment,
                    "pause",
                    now,
                    comment=comment,
                    reason=reason,
                    also=record,
                )
        except ConflictError:
            continue
        for trigger in triggers:
            lotty.metrics.count_guardrail_trigger(trigger.action)
        taken.append(
            ActionTaken(
                experiment=action.experiment, action=action.action, status=after.status, triggers=triggers
            )
        )
    return taken


def _trigger(breach: Observation, now: datetime) -> Trigger:
    assert breach.observed_value is not None
    return Trigger(
        id=new_id("trg"),
        experiment=breach.experiment,
        guardrail=breach.guardrail,
        variant=breach.variant,
        metric=breach.metric,
        operator=breach.operator,
        threshold=breach.threshold,
        window_minutes=breach.window_minutes,
        action=breach.action,
        observed_value=breach.observed_value,
        samples=breach.samples,
        triggered_at=now,
    )


def _reason(action: Action, triggers: list[Trigger]) -> dict[str, Any]:
    return {
        "action": action.action,
        "guardrail": action.cause.guardrail,
        "triggers": [msgspec.structs.asdict(t) for t in triggers],
    }


def check_guardrails(lotty: Lotty, experiment: str | None = None) -> CheckResult:
    """One pass now over every running experiment (or only `experiment`, if it runs): flush the fact
    writer (every accepted event counts), evaluate, act."""
    try:
        if lotty.writer is not None:
            lotty.writer.flush()
        now = lotty.clock()
        observations = read_observations(lotty.store, now, experiment)
        taken = apply_actions(lotty, evaluate_guardrails(observations, now), now)
    except Exception:
        lotty.metrics.count_guardrail_check("error")
        raise
    lotty.metrics.count_guardrail_check("ok")
    return CheckResult(checked_at=now, evaluated=len(observations), actions=taken)


def request_check(lotty: Lotty, actor: Principal, data: CheckInput) -> CheckResult:
    """POST /guardrails/check: admins only (it acts on running experiments); an unknown experiment is 404."""
    require_admin(actor, "run a guardrail check")
    if data.experiment is not None:
        with lotty.store.read() as tx:
            require_experiment(tx, data.experiment)
    return check_guardrails(lotty, data.experiment)


def trigger_from_row(row: dict[str, Any]) -> Trigger:
    return Trigger(**{**row, "triggered_at": utc(row["triggered_at"])})


def list_triggers(store: Store, actor: Principal, key: str, limit: int | None, cursor: str | None) -> Page:
    require_reader(actor)
    return read_page(
        store,
        "guardrails/list_triggers",
        NEWEST_TRIGGER,
        limit,
        cursor,
        trigger_from_row,
        check=lambda tx: require_experiment(tx, key),
        experiment=key,
    )
