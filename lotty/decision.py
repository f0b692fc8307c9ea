"""Deciding flag values for one subject (SPEC §3): a pure function of snapshot, state and time.

`decide` reads the snapshot and the subject's enrolments and returns the decisions plus the
new enrolments to make durable; it performs no I/O and reads no clock. Reasons are checked in
the SPEC's order for each flag; new enrolments are considered in precedence order (priority,
then earlier start, then key), so the order of flags in a request never changes the outcome.

The answers themselves are prebuilt by the snapshot (`FlagPlan`, `LiveExperiment.assigned`), so a
call allocates only its lists. Within a call a targeting rule is evaluated once per distinct rule
text, the bucket is hashed only when traffic is below 100 % or a variant is to be chosen, and the
participation policy is consulted once until an enrolment changes its inputs; none of these
changes an answer (tests/property/test_decide_reference.py compares with the plain reading).
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from lotty.bucketing import BUCKETS, bucket_of
from lotty.enrolment import Enrolment, ParticipationPolicy
from lotty.reasons import (
    DOMAIN_CONFLICT,
    EXPERIMENT_ASSIGNED,
    EXPERIMENT_PAUSED,
    FLAG_NOT_FOUND,
    NO_ACTIVE_EXPERIMENT,
    OUTSIDE_TRAFFIC,
    PARTICIPATION_LIMIT,
    REASONS,
    TARGETING_MISMATCH,
    Decision,
)
from lotty.snapshot import FlagPlan, LiveExperiment, Snapshot

__all__ = [
    "DOMAIN_CONFLICT",
    "EXPERIMENT_ASSIGNED",
    "EXPERIMENT_PAUSED",
    "FLAG_NOT_FOUND",
    "NO_ACTIVE_EXPERIMENT",
    "OUTSIDE_TRAFFIC",
    "PARTICIPATION_LIMIT",
    "REASONS",
    "TARGETING_MISMATCH",
    "Decision",
    "NewEnrolment",
    "Outcome",
    "decide",
]


class NewEnrolment(NamedTuple):  # NamedTuples: a frozen dataclass costs a setattr per field
    experiment: LiveExperiment
    variant_index: int
    flag_position: int  # index of the decision that made it

    @property
    def variant(self) -> str:
        return self.experiment.variant_names[self.variant_index]


class Outcome(NamedTuple):
    decisions: list[Decision]
    new_enrolments: list[NewEnrolment]


_enrolled_s = itemgetter(2)  # Enrolment.enrolled_s


def _eligible(experiment: LiveExperiment, subject_id: str, attributes: Mapping[str, Any]) -> int | None:
    """The variant the subject would get by targeting and traffic alone (None: not eligible)."""
    if experiment.rule is not None and not experiment.rule.matches(attributes):
        return None
    return experiment.allocation.variant_index(bucket_of(experiment.key, subject_id))


def _loses_domain(
    experiment: LiveExperiment,
    snapshot: Snapshot,
    held: Sequence[int],
    subject_id: str,
    attributes: Mapping[str, Any],
) -> bool:
    """True when a shared conflict domain belongs to another experiment for this subject.

    An existing enrolment in the domain wins; otherwise the running experiment of highest
    precedence that the subject is eligible for, whether or not its flag was requested, so
    the answer does not depend on which flags a request names.
    """
    for index in held:
        other = snapshot.live_by_index.get(index)
        if other is not None and other.key != experiment.key and other.domains & experiment.domains:
            return True
    for domain in experiment.domains:
        for rival in snapshot.running_by_domain.get(domain, ()):
            if rival.key == experiment.key:
                break  # rivals are in precedence order: nobody left outranks us in this domain
            if _eligible(rival, subject_id, attributes) is not None:
                return True
    return False


def decide(
    snapshot: Snapshot,
    enrolments: Sequence[Enrolment],
    subject_id: str,
    attributes: Mapping[str, Any],
    flags: Sequence[str] | None,
    now_s: int,
    policy: ParticipationPolicy,
) -> Outcome:
    """Decisions for `flags` (all flags when empty or None), in request order, repeats dropped."""
    plans = snapshot.plans
    enrolled = {e.experiment: e.variant for e in enrolments}
    decisions: list[Any] = []  # Decisions; None holds the place of a candidate until it is decided
    candidates: list[tuple[tuple[Any, ...], int, LiveExperiment, FlagPlan]] = []
    for key in dict.fromkeys(flags) if flags else snapshot.flag_keys:
        plan = plans.get(key)
        if plan is None:
            decisions.append(Decision(key, None, FLAG_NOT_FOUND))
        elif plan.settled is not None:
            decisions.append(plan.settled)
        else:
            experiment: LiveExperiment = plan.experiment  # type: ignore[assignment]  # set when not settled
            variant = enrolled.get(experiment.index)
            if variant is not None:  # sticky: the same variant for the life of the experiment
                decisions.append(experiment.assigned[variant])
            else:
                candidates.append((experiment.precedence, len(decisions), experiment, plan))
                decisions.append(None)
    new: list[NewEnrolment] = []
    if not candidates:
        return Outcome(decisions, new)
    candidates.sort()  # by precedence, which is unique per experiment (it ends with the key)
    matched: dict[str, bool] = {}  # rule text -> whether it matches, once per call
    active = -1  # enrolments in live experiments, counted when first needed
    times: list[int] | None = None  # all enrolment times, sorted, when first needed
    admitted: bool | None = None  # the policy's answer until the next enrolment
    for _, position, experiment, plan in candidates:
        rule = experiment.rule
        if rule is not None:
            matches = matched.get(rule.canonical)
            if matches is None:
                matches = matched[rule.canonical] = rule.matches(attributes)
            if not matches:
                decisions[position] = plan.refusals[TARGETING_MISMATCH]
                continue
        allocation = experiment.allocation
        variant_index: int | None = None
        if allocation.traffic_bp < BUCKETS:  # at 100 % everyone is inside: hash only to enrol
            variant_index = allocation.variant_index(bucket_of(experiment.key, subject_id))
            if variant_index is None:
                decisions[position] = plan.refusals[OUTSIDE_TRAFFIC]
                continue
        if experiment.domains:
            held = [*enrolled, *(n.experiment.index for n in new)]
            if _loses_domain(experiment, snapshot, held, subject_id, attributes):
                decisions[position] = plan.refusals[DOMAIN_CONFLICT]
                continue
        if admitted is None:
            if active < 0:
                active = sum(map(snapshot.live_by_index.__contains__, enrolled))
            if active >= policy.max_active_experiments:  # policy.admits's first test, before sorting
                admitted = False
            else:
                if times is None:
                    times = sorted(map(_enrolled_s, enrolments))
                admitted = policy.admits(active, times, now_s)
        if not admitted:
            decisions[position] = plan.refusals[PARTICIPATION_LIMIT]
            continue
        if variant_index is None:
            variant_index = allocation.variant_index(bucket_of(experiment.key, subject_id))
            assert variant_index is not None  # traffic is 100 %
        new.append(NewEnrolment(experiment, variant_index, position))
        active += 1
        insort(times, now_s)  # type: ignore[arg-type]  # sorted before the policy admitted this one
        admitted = None
        decisions[position] = experiment.assigned[variant_index]
    return Outcome(decisions, new)
