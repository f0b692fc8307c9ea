"""Deciding flag values for one subject (SPEC §3): a pure function of snapshot, state and time.

`decide` reads the snapshot and the subject's enrolments and returns the decisions plus the
new enrolments to make durable; it performs no I/O and reads no clock. Reasons are checked in
the SPEC's order for each flag; new enrolments are considered in precedence order (priority,
then earlier start, then key), so the order of flags in a request never changes the outcome.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from lotty.bucketing import bucket_of
from lotty.enrolment import Enrolment, ParticipationPolicy
from lotty.snapshot import LiveExperiment, Snapshot

FLAG_NOT_FOUND = "flag_not_found"
NO_ACTIVE_EXPERIMENT = "no_active_experiment"
EXPERIMENT_PAUSED = "experiment_paused"
EXPERIMENT_ASSIGNED = "experiment_assigned"
TARGETING_MISMATCH = "targeting_mismatch"
OUTSIDE_TRAFFIC = "outside_traffic_allocation"
DOMAIN_CONFLICT = "domain_conflict"
PARTICIPATION_LIMIT = "participation_limit"
REASONS = (
    FLAG_NOT_FOUND,
    NO_ACTIVE_EXPERIMENT,
    EXPERIMENT_PAUSED,
    EXPERIMENT_ASSIGNED,
    TARGETING_MISMATCH,
    OUTSIDE_TRAFFIC,
    DOMAIN_CONFLICT,
    PARTICIPATION_LIMIT,
)


class Decision(NamedTuple):
    """One flag's answer before its decision id is issued (a NamedTuple: made per flag per call)."""

    flag: str
    value: Any
    reason: str
    experiment: str | None = None
    experiment_version: int | None = None
    variant: str | None = None


@dataclass(frozen=True, slots=True)
class NewEnrolment:
    experiment: LiveExperiment
    variant_index: int
    flag_position: int  # index of the decision that made it

    @property
    def variant(self) -> str:
        return self.experiment.variant_names[self.variant_index]


@dataclass(frozen=True, slots=True)
class Outcome:
    decisions: list[Decision]
    new_enrolments: list[NewEnrolment]


def _default(flag_key: str, default: Any, reason: str, experiment: LiveExperiment | None = None) -> Decision:
    if experiment is None:
        return Decision(flag_key, default, reason)
    return Decision(flag_key, default, reason, experiment.key, experiment.version)


def _assigned(experiment: LiveExperiment, variant_index: int) -> Decision:
    return Decision(
        experiment.flag,
        experiment.variant_values[variant_index],
        EXPERIMENT_ASSIGNED,
        experiment.key,
        experiment.version,
        experiment.variant_names[variant_index],
    )


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
    if not experiment.domains:
        return False
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
    keys = list(dict.fromkeys(flags)) if flags else list(snapshot.flag_keys)
    decisions: list[Decision | None] = [None] * len(keys)
    enrolled = {e.experiment: e for e in enrolments}
    candidates: list[tuple[int, LiveExperiment]] = []
    for position, key in enumerate(keys):
        flag = snapshot.flags.get(key)
        if flag is None:
            decisions[position] = Decision(key, None, FLAG_NOT_FOUND)
            continue
        experiment = snapshot.live_by_flag.get(key)
        if experiment is None:
            decisions[position] = _default(key, flag.default, NO_ACTIVE_EXPERIMENT)
        elif not experiment.running:
            decisions[position] = _default(key, flag.default, EXPERIMENT_PAUSED, experiment)
        elif experiment.index in enrolled:
            decisions[position] = _assigned(experiment, enrolled[experiment.index].variant)
        else:
            candidates.append((position, experiment))

    new: list[NewEnrolment] = []
    held = list(enrolled)
    if not candidates:
        return Outcome(decisions, new)  # type: ignore[arg-type]  # every position is filled
    active = sum(1 for index in enrolled if index in snapshot.live_by_index)
    times = sorted(e.enrolled_s for e in enrolments)
    for position, experiment in sorted(candidates, key=lambda c: c[1].precedence):
        default = snapshot.flags[experiment.flag].default
        if experiment.rule is not None and not experiment.rule.matches(attributes):
            decisions[position] = _default(experiment.flag, default, TARGETING_MISMATCH, experiment)
            continue
        variant_index = experiment.allocation.variant_index(bucket_of(experiment.key, subject_id))
        if variant_index is None:
            decisions[position] = _default(experiment.flag, default, OUTSIDE_TRAFFIC, experiment)
        elif _loses_domain(experiment, snapshot, held, subject_id, attributes):
            decisions[position] = _default(experiment.flag, default, DOMAIN_CONFLICT, experiment)
        elif not policy.admits(active, times, now_s):
            decisions[position] = _default(experiment.flag, default, PARTICIPATION_LIMIT, experiment)
        else:
            new.append(NewEnrolment(experiment, variant_index, position))
            held.append(experiment.index)
            active += 1
            insort(times, now_s)
            decisions[position] = _assigned(experiment, variant_index)
    return Outcome([d for d in decisions if d is not None], new)
