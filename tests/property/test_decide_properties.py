"""Properties of decide(): deterministic, sticky, and traffic changes never move enrolled subjects."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lotty.decision import EXPERIMENT_ASSIGNED, decide
from lotty.enrolment import Enrolment, ParticipationPolicy
from tests.unit.test_decide import experiment, snapshot

POLICY = ParticipationPolicy(max_active_experiments=100, cooldown_after_enrolments=0)
subjects = st.text(min_size=1, max_size=40)
attributes = st.dictionaries(
    st.sampled_from(["country", "app_version", "plan"]),
    st.one_of(st.sampled_from(["RU", "KZ", "US", "1.7.2", "pro"]), st.integers(-5, 5)),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(subjects, attributes, st.integers(1, 100))
def test_same_config_same_subject_same_answer(subject, attrs, traffic):
    snap = snapshot(experiment("e", "f", index=0, traffic=traffic, weights=(traffic - 0.5, 0.5)))
    first = decide(snap, [], subject, attrs, ["f"], 1000, POLICY)
    second = decide(snap, [], subject, attrs, ["f"], 5000, POLICY)
    assert first.decisions == second.decisions


@settings(max_examples=300, deadline=None)
@given(subjects, st.integers(1, 99), st.integers(1, 100))
def test_raising_traffic_never_moves_an_enrolled_subject(subject, low, extra):
    high = min(100, low + extra)
    before = snapshot(experiment("e", "f", index=0, traffic=low, weights=(low / 2, low / 2)))
    after = snapshot(experiment("e", "f", index=0, traffic=high, weights=(high / 2, high / 2)))
    first = decide(before, [], subject, {}, ["f"], 1000, POLICY)
    if first.decisions[0].reason != EXPERIMENT_ASSIGNED:
        return
    (new,) = first.new_enrolments
    enrolled = [Enrolment(0, new.variant_index, 1000)]
    again = decide(after, enrolled, subject, {"anything": "changed"}, ["f"], 2000, POLICY)
    assert again.decisions[0].variant == first.decisions[0].variant
    assert again.new_enrolments == []


@settings(max_examples=200, deadline=None)
@given(subjects, st.permutations(["a", "b", "c", "plain"]))
def test_request_order_never_changes_the_answers(subject, order):
    exps = [
        experiment("ea", "a", index=0, domains=["d"], priority=1),
        experiment("eb", "b", index=1, domains=["d"]),
        experiment("ec", "c", index=2, traffic=30, weights=(10, 20)),
    ]
    snap = snapshot(*exps)
    reference = {
        d.flag: d for d in decide(snap, [], subject, {}, ["a", "b", "c", "plain"], 1, POLICY).decisions
    }
    shuffled = decide(snap, [], subject, {}, list(order), 1, POLICY)
    assert [d.flag for d in shuffled.decisions] == list(order)
    assert all(d == reference[d.flag] for d in shuffled.decisions)
