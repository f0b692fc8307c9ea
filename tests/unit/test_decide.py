"""decide(): every reason code, in the SPEC's order, with snapshots built by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from lotty.bucketing import Allocation, bucket_of
from lotty.decision import (
    DOMAIN_CONFLICT,
    EXPERIMENT_ASSIGNED,
    EXPERIMENT_PAUSED,
    FLAG_NOT_FOUND,
    NO_ACTIVE_EXPERIMENT,
    OUTSIDE_TRAFFIC,
    PARTICIPATION_LIMIT,
    TARGETING_MISMATCH,
    decide,
)
from lotty.enrolment import Enrolment, ParticipationPolicy
from lotty.snapshot import FlagEntry, LiveExperiment, Snapshot
from lotty.targeting import compile_rule

NOW = 200_000_000
POLICY = ParticipationPolicy()
RU = {"country": "RU", "app_version": "1.7.2"}


def experiment(
    key: str,
    flag: str,
    *,
    index: int,
    traffic: float = 100,
    weights=(50, 50),
    status="running",
    targeting: str | None = None,
    domains=(),
    priority=0,
    started=datetime(2026, 1, 1),
) -> LiveExperiment:
    names = tuple(["control", *[f"v{i}" for i in range(1, len(weights))]])
    return LiveExperiment(
        index=index,
        key=key,
        flag=flag,
        status=status,
        version=1,
        rule=compile_rule(targeting),
        allocation=Allocation.from_percents(traffic, list(weights)),
        variant_names=names,
        variant_values=tuple(f"{key}:{n}" for n in names),
        domains=frozenset(domains),
        priority=priority,
        started_at=started,
    )


def snapshot(*experiments: LiveExperiment, extra_flags=("plain",)) -> Snapshot:
    flags = [FlagEntry(e.flag, "string", f"{e.flag}-default") for e in experiments]
    flags += [FlagEntry(f, "string", f"{f}-default") for f in extra_flags]
    return Snapshot.build(1, flags, list(experiments))


def run(
    snap: Snapshot,
    subject: str = "u-1",
    attributes: dict[str, Any] | None = None,
    flags=None,
    enrolments=(),
    now=NOW,
    policy=POLICY,
):
    return decide(
        snap, list(enrolments), subject, attributes if attributes is not None else RU, flags, now, policy
    )


def reasons(outcome) -> list[str]:
    return [d.reason for d in outcome.decisions]


def test_unknown_flag_is_not_found_with_a_null_value_and_never_fails_the_call():
    outcome = run(snapshot(experiment("e", "f", index=0)), flags=["nope", "f"])
    assert outcome.decisions[0].flag == "nope" and outcome.decisions[0].value is None
    assert reasons(outcome) == [FLAG_NOT_FOUND, EXPERIMENT_ASSIGNED]


def test_flag_without_experiment_serves_its_default():
    (d,) = run(snapshot(), flags=["plain"]).decisions
    assert (d.value, d.reason, d.experiment, d.variant) == ("plain-default", NO_ACTIVE_EXPERIMENT, None, None)


def test_paused_experiment_serves_the_default_even_to_enrolled_subjects():
    paused = experiment("e", "f", index=0, status="paused")
    (d,) = run(snapshot(paused), flags=["f"], enrolments=[Enrolment(0, 1, NOW - 10)]).decisions
    assert (d.value, d.reason, d.experiment) == ("f-default", EXPERIMENT_PAUSED, "e")


def test_assignment_follows_the_documented_bucketing():
    exp = experiment("checkout-cta", "f", index=0, traffic=40, weights=(20, 20))
    for subject in (f"u-{i}" for i in range(200)):
        bucket = bucket_of("checkout-cta", subject)
        (d,) = run(snapshot(exp), subject=subject, flags=["f"]).decisions
        if bucket >= 4000:
            assert d.reason == OUTSIDE_TRAFFIC and d.value == "f-default"
        else:
            assert d.reason == EXPERIMENT_ASSIGNED
            assert d.variant == ("control" if bucket < 2000 else "v1")
            assert d.value == f"checkout-cta:{d.variant}"


def test_enrolled_subjects_keep_their_variant_when_attributes_change():
    exp = experiment("e", "f", index=0, targeting='country == "RU"')
    first = run(snapshot(exp), flags=["f"])
    (new,) = first.new_enrolments
    enrolled = [Enrolment(0, new.variant_index, NOW)]
    (again,) = run(snapshot(exp), attributes={"country": "US"}, flags=["f"], enrolments=enrolled).decisions
    assert (again.reason, again.variant) == (EXPERIMENT_ASSIGNED, first.decisions[0].variant)
    assert (
        run(snapshot(exp), attributes={"country": "US"}, flags=["f"]).decisions[0].reason
        == TARGETING_MISMATCH
    )


def test_targeting_is_checked_before_traffic():
    exp = experiment("e", "f", index=0, traffic=1, weights=(0.5, 0.5), targeting='country == "KZ"')
    assert bucket_of("e", "u-1") >= 100, "u-1 must be outside traffic for this test to mean anything"
    outcome = run(snapshot(exp), flags=["f"])
    assert reasons(outcome) == [TARGETING_MISMATCH] and not outcome.new_enrolments


def test_a_domain_enrolment_wins_over_a_higher_priority_newcomer():
    low = experiment("low", "a", index=0, domains=["checkout"], priority=0)
    high = experiment("high", "b", index=1, domains=["checkout"], priority=10)
    outcome = run(snapshot(low, high), flags=["a", "b"], enrolments=[Enrolment(0, 0, NOW - 5)])
    assert reasons(outcome) == [EXPERIMENT_ASSIGNED, DOMAIN_CONFLICT]
    assert outcome.decisions[1].experiment == "high"  # the loser is visible


@pytest.mark.parametrize("flags", [["a", "b"], ["b", "a"], ["a"], ["b"]])
def test_domain_winner_is_the_same_whatever_the_flags_requested(flags):
    low = experiment("low", "a", index=0, domains=["checkout"], priority=0)
    high = experiment("high", "b", index=1, domains=["checkout"], priority=10)
    outcome = run(snapshot(low, high), flags=flags)
    by_flag = {d.flag: d.reason for d in outcome.decisions}
    assert by_flag.get("b", EXPERIMENT_ASSIGNED) == EXPERIMENT_ASSIGNED
    assert by_flag.get("a", DOMAIN_CONFLICT) == DOMAIN_CONFLICT
    assert [n.experiment.key for n in outcome.new_enrolments] == (["high"] if "b" in flags else [])


def test_domain_ties_break_on_earlier_start_then_key():
    first = experiment("zeta", "a", index=0, domains=["d"], started=datetime(2026, 1, 1))
    later = experiment("alpha", "b", index=1, domains=["d"], started=datetime(2026, 2, 1))
    assert reasons(run(snapshot(first, later), flags=["b", "a"])) == [DOMAIN_CONFLICT, EXPERIMENT_ASSIGNED]
    same_a = experiment("alpha", "a", index=0, domains=["d"])
    same_b = experiment("beta", "b", index=1, domains=["d"])
    assert reasons(run(snapshot(same_a, same_b), flags=["b", "a"])) == [DOMAIN_CONFLICT, EXPERIMENT_ASSIGNED]


def test_a_rival_the_subject_is_not_eligible_for_does_not_block():
    high = experiment("high", "b", index=1, domains=["d"], priority=10, targeting='country == "KZ"')
    low = experiment("low", "a", index=0, domains=["d"])
    assert reasons(run(snapshot(low, high), flags=["a", "b"])) == [EXPERIMENT_ASSIGNED, TARGETING_MISMATCH]


def test_participation_limit_counts_live_enrolments_only():
    exps = [experiment(f"e{i}", f"f{i}", index=i) for i in range(5)]
    policy = ParticipationPolicy(max_active_experiments=3, cooldown_after_enrolments=0)
    outcome = run(snapshot(*exps), flags=[f"f{i}" for i in range(5)], policy=policy)
    assert reasons(outcome) == [EXPERIMENT_ASSIGNED] * 3 + [PARTICIPATION_LIMIT] * 2
    # Enrolments in experiments that ended (index 99 is not live) do not count.
    outcome = run(
        snapshot(*exps),
        flags=["f0"],
        policy=policy,
        enrolments=[Enrolment(99, 0, NOW - 1), Enrolment(98, 0, NOW - 1), Enrolment(97, 0, NOW - 1)],
    )
    assert reasons(outcome) == [EXPERIMENT_ASSIGNED]


def test_enrolment_precedence_is_priority_then_start_then_key_not_request_order():
    a = experiment("a-exp", "a", index=0, priority=1)
    b = experiment("b-exp", "b", index=1, priority=5)
    c = experiment("c-exp", "c", index=2, priority=5, started=datetime(2025, 1, 1))
    policy = ParticipationPolicy(max_active_experiments=2, cooldown_after_enrolments=0)
    outcome = run(snapshot(a, b, c), flags=["a", "b", "c"], policy=policy)
    assert reasons(outcome) == [PARTICIPATION_LIMIT, EXPERIMENT_ASSIGNED, EXPERIMENT_ASSIGNED]


def test_cooldown_after_n_enrolments_in_the_window():
    exps = [experiment(f"e{i}", f"f{i}", index=i) for i in range(4)]
    policy = ParticipationPolicy(
        max_active_experiments=10, cooldown_after_enrolments=2, cooldown_window_hours=24, cooldown_hours=1
    )
    past = [Enrolment(50, 0, NOW - 3000), Enrolment(51, 0, NOW - 600)]  # 2 within 24 h: cooldown until +1h
    assert reasons(run(snapshot(*exps), flags=["f0"], enrolments=past, policy=policy)) == [
        PARTICIPATION_LIMIT
    ]
    later = NOW - 600 + 3600
    assert reasons(run(snapshot(*exps), flags=["f0"], enrolments=past, policy=policy, now=later)) == [
        EXPERIMENT_ASSIGNED
    ]
    # Within one call: the second new enrolment starts the cooldown, the third is refused.
    assert reasons(run(snapshot(*exps), flags=["f0", "f1", "f2"], policy=policy)) == [
        EXPERIMENT_ASSIGNED,
        EXPERIMENT_ASSIGNED,
        PARTICIPATION_LIMIT,
    ]


def test_all_flags_when_none_requested_and_repeats_dropped():
    exp = experiment("e", "f", index=0)
    assert [d.flag for d in run(snapshot(exp), flags=None).decisions] == ["f", "plain"]
    assert [d.flag for d in run(snapshot(exp), flags=[]).decisions] == ["f", "plain"]
    outcome = run(snapshot(exp), flags=["f", "f"])
    assert [d.flag for d in outcome.decisions] == ["f"] and len(outcome.new_enrolments) == 1


@pytest.mark.parametrize(
    ("rule", "attributes", "expected"),
    [
        (None, {}, EXPERIMENT_ASSIGNED),
        ('country IN ["RU", "KZ"] AND app_version >= "1.6.0"', RU, EXPERIMENT_ASSIGNED),
        (
            'country IN ["RU", "KZ"] AND app_version >= "1.6.0"',
            {"country": "RU", "app_version": "1.5.9"},
            TARGETING_MISMATCH,
        ),
        ('country IN ["RU", "KZ"] AND app_version >= "1.6.0"', {}, TARGETING_MISMATCH),
        ("NOT (beta == true)", {}, EXPERIMENT_ASSIGNED),
    ],
)
def test_targeting_table(rule, attributes, expected):
    exp = experiment("e", "f", index=0, targeting=rule)
    assert reasons(run(snapshot(exp), attributes=attributes, flags=["f"])) == [expected]
