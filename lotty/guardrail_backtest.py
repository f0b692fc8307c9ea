"""`lotty guardrails backtest`: replay an experiment's guardrail rules over stored history.

At every step of [from, to) the same statement as the live check (sql/guardrails/evaluate.sql, for
the named experiment whatever its status) and the same decision (`evaluate_guardrails`) run, and
every breach is listed; nothing is acted on and nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from lotty.catalog.common import naive
from lotty.catalog.experiments import require_experiment
from lotty.errors import ValidationError
from lotty.guardrails import Observation, evaluate_guardrails
from lotty.store import Tx

DEFAULT_STEP_MINUTES = 5
MAX_STEPS = 20_000


class BacktestFire(msgspec.Struct, kw_only=True):
    """A rule that would have fired for one variant at `at` (the end of its window)."""

    at: datetime
    guardrail: str
    variant: str
    metric: str
    operator: str
    threshold: float
    window_minutes: int
    action: str
    observed_value: float
    samples: int


class BacktestAction(msgspec.Struct, kw_only=True):
    """What the live check would have done first: the experiment stops being evaluated after it."""

    at: datetime
    action: str
    guardrail: str


class Backtest(msgspec.Struct, kw_only=True):
    experiment: str
    from_: datetime = msgspec.field(name="from")
    to: datetime
    step_minutes: int
    steps: int
    first_action: BacktestAction | None
    fires: list[BacktestFire]


def backtest_window(
    tx: Tx, experiment: str, from_: datetime | None, to: datetime | None, step_minutes: int, now: datetime
) -> tuple[datetime, datetime]:
    """[from, to): by default the experiment's run (start to end, or to now while it runs)."""
    found = require_experiment(tx, experiment)
    start = (from_ or found.started_at or found.created_at).astimezone(UTC)
    end = (to or found.ended_at or now).astimezone(UTC)
    if start >= end:
        raise ValidationError(
            f"the window is empty: from ({start.isoformat()}) must be before to ({end.isoformat()})",
            code="INVALID_WINDOW",
            field="from",
        )
    if step_minutes < 1:
        raise ValidationError("step must be at least 1 minute", field="step")
    if (end - start) / timedelta(minutes=step_minutes) > MAX_STEPS:
        raise ValidationError(
            f"more than {MAX_STEPS} steps over this window; use a larger step", field="step"
        )
    return start, end


def run_backtest(
    tx: Tx,
    experiment: str,
    from_: datetime | None = None,
    to: datetime | None = None,
    step_minutes: int = DEFAULT_STEP_MINUTES,
    *,
    now: datetime,
) -> Backtest:
    """Evaluate the experiment's rules at from + step, from + 2 step, ... up to and including `to`."""
    start, end = backtest_window(tx, experiment, from_, to, step_minutes, now)
    step = timedelta(minutes=step_minutes)
    fires: list[BacktestFire] = []
    first_action: BacktestAction | None = None
    times, at = [], start + step
    while at < end:
        times.append(at)
        at += step
    times.append(end)
    for at in times:
        rows = tx.fetch_all("guardrails/evaluate", now=naive(at), experiment=experiment, running_only=False)
        for action in evaluate_guardrails([Observation.from_row(r) for r in rows], at):
            if first_action is None:
                first_action = BacktestAction(at=at, action=action.action, guardrail=action.cause.guardrail)
            fires.extend(_fire(at, b) for b in action.breaches)
    return Backtest(
        experiment=experiment,
        from_=start,
        to=end,
        step_minutes=step_minutes,
        steps=len(times),
        first_action=first_action,
        fires=fires,
    )


def _fire(at: datetime, breach: Observation) -> BacktestFire:
    assert breach.observed_value is not None
    return BacktestFire(
        at=at,
        guardrail=breach.guardrail,
        variant=breach.variant,
        metric=breach.metric,
        operator=breach.operator,
        threshold=breach.threshold,
        window_minutes=breach.window_minutes,
        action=breach.action,
        observed_value=breach.observed_value,
        samples=breach.samples,
    )


def render_backtest(result: Backtest) -> str:
    lines = [
        f"{result.experiment}: {result.steps} step(s) of {result.step_minutes} min from "
        f"{result.from_.isoformat()} to {result.to.isoformat()}"
    ]
    for f in result.fires:
        lines.append(
            f"{f.at.isoformat()}  {f.guardrail} {f.metric} {f.operator} {f.threshold:g} over "
            f"{f.window_minutes} min ({f.action}): variant {f.variant} observed {f.observed_value:g}, "
            f"{f.samples} subjects"
        )
    if result.first_action is None:
        lines.append("no rule would have fired")
    else:
        first = result.first_action
        lines.append(f"first action: {first.action} at {first.at.isoformat()} ({first.guardrail})")
    return "\n".join(lines) + "\n"
