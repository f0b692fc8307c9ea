"""decide() against a plain reading of SPEC §3 over random catalogs, enrolments and requests.

`decide` answers from answers prebuilt by the snapshot, evaluates a rule once per distinct rule
text within a call, hashes the bucket only when it can matter and asks the participation policy
once until an enrolment changes its inputs. `reference` below does none of that (it is the decide
of before those shortcuts, sharing only the domain-conflict check); every answer and every new
enrolment must be the same.
"""

from __future__ import annotations

from bisect import insort
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from lotty import reasons
from lotty.bucketing import bucket_of
from lotty.decision import Decision, _loses_domain, decide
from lotty.enrolment import Enrolment, ParticipationPolicy
from lotty.snapshot import LiveExperiment, Snapshot
from tests.unit.test_decide import experiment, snapshot


def reference(snapshot: Snapshot, enrolments, subject_id, attributes, flags, now_s, policy) -> tuple:
    """Decisions for each flag in request order through SPEC §3's steps, and the new enrolments as
    (experiment key, variant index, flag position)."""

    def default(flag: str, reason: str, experiment: LiveExperiment | None = None) -> Decision:
        value = snapshot.flags[flag].default
        if experiment is None:
            return Decision(flag, value, reason)
        return Decision(flag, value, reason, experiment.key, experiment.version)

    def assigned(experiment: LiveExperiment, variant: int) -> Decision:
        return Decision(
            experiment.flag,
            experiment.variant_values[variant],
            reasons.EXPERIMENT_ASSIGNED,
            experiment.key,
            experiment.version,
            experiment.variant_names[variant],
        )

    keys = list(dict.fromkeys(flags)) if flags else list(snapshot.flag_keys)
    decisions: list[Decision | None] = [None] * len(keys)
    enrolled = {e.experiment: e for e in enrolments}
    candidates = []
    for position, key in enumerate(keys):
        if key not in snapshot.flags:
            decisions[position] = Decision(key, None, reasons.FLAG_NOT_FOUND)
            continue
        experiment = snapshot.live_by_flag.get(key)
        if experiment is None:
            decisions[position] = default(key, reasons.NO_ACTIVE_EXPERIMENT)
        elif experiment.status != "running":
            decisions[position] = default(key, reasons.EXPERIMENT_PAUSED, experiment)
        elif experiment.index in enrolled:
            decisions[position] = assigned(experiment, enrolled[experiment.index].variant)
        else:
            candidates.append((position, experiment))
    new: list[tuple[str, int, int]] = []
    held = list(enrolled)
    active = sum(1 for index in enrolled if index in snapshot.live_by_index)
    times = sorted(e.enrolled_s for e in enrolments)
    by_precedence = sorted(
        candidates, key=lambda c: (-c[1].priority, c[1].started_at or datetime.max, c[1].key)
    )
    for position, experiment in by_precedence:
        if experiment.rule is not None and not experiment.rule.matches(attributes):
            decisions[position] = default(experiment.flag, reasons.TARGETING_MISMATCH, experiment)
            continue
        variant = experiment.allocation.variant_index(bucket_of(experiment.key, subject_id))
        if variant is None:
            decisions[position] = default(experiment.flag, reasons.OUTSIDE_TRAFFIC, experiment)
        elif experiment.domains and _loses_domain(experiment, snapshot, held, subject_id, attributes):
            decisions[position] = default(experiment.flag, reasons.DOMAIN_CONFLICT, experiment)
        elif not policy.admits(active, times, now_s):
            decisions[position] = default(experiment.flag, reasons.PARTICIPATION_LIMIT, experiment)
        else:
            new.append((experiment.key, variant, position))
            held.append(experiment.index)
            active += 1
            insort(times, now_s)
            decisions[position] = assigned(experiment, variant)
    return [d for d in decisions if d is not None], new


# Rules that share a text (in different spellings), differ, or read the same attributes.
RULES = [
    None,
    'country IN ["RU", "KZ", "US"] AND app_version >= "1.6.0"',
    'country in ["RU","KZ","US"] and app_version >= "1.6.0"',
    'country == "RU"',
    'app_version < "1.10.0"',
    "NOT (beta == true)",
]
NOW = 200_000_000


@st.composite
def catalogs(draw: st.DrawFn) -> Snapshot:
    count = draw(st.integers(1, 6))
    experiments = []
    for i in range(count):
        traffic = draw(st.sampled_from([100, 100, 60, 5]))
        first = draw(st.sampled_from([traffic / 2, 0.5]))
        experiments.append(
            experiment(
                f"e{i}",
                f"f{i}",
                index=i,
                traffic=traffic,
                weights=(first, traffic - first),
                status=draw(st.sampled_from(["running", "running", "running", "paused"])),
                targeting=draw(st.sampled_from(RULES)),
                domains=draw(st.sampled_from([(), (), ("d",), ("d", "x"), ("x",)])),
                priority=draw(st.integers(0, 2)),
                started=draw(st.sampled_from([datetime(2026, 1, 1), datetime(2026, 2, 1), None])),
            )
        )
    return snapshot(*experiments)


attributes = st.fixed_dictionaries(
    {},
    optional={
        "country": st.sampled_from(["RU", "KZ", "US", "DE"]),
        "app_version": st.sampled_from(["1.5.9", "1.6.0", "1.7.2", "1.10.0", "2"]),
        "beta": st.booleans(),
    },
)
enrolment_lists = st.lists(
    st.builds(Enrolment, st.integers(0, 8), st.integers(0, 1), st.integers(NOW - 90_000, NOW)), max_size=5
)
flag_lists = st.none() | st.lists(st.sampled_from(["f0", "f1", "f2", "f3", "f4", "f5", "plain", "nope"]))
policies = st.builds(
    ParticipationPolicy,
    st.integers(0, 4),
    st.integers(0, 3),
    st.sampled_from([1, 24]),
    st.sampled_from([1, 2]),
)


@settings(max_examples=500, deadline=None)
@given(catalogs(), enrolment_lists, st.text(min_size=1, max_size=12), attributes, flag_lists, policies)
def test_decide_gives_the_reference_answers(snap, enrolments, subject, attrs, flags, policy):
    outcome = decide(snap, enrolments, subject, attrs, flags, NOW, policy)
    decisions, new = reference(snap, enrolments, subject, attrs, flags, NOW, policy)
    assert outcome.decisions == decisions
    assert [(n.experiment.key, n.variant_index, n.flag_position) for n in outcome.new_enrolments] == new
