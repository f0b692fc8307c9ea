"""Enrolment state packing and the participation policy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotty.enrolment import MAX_EXPERIMENT_ID, Enrolment, EnrolmentState, ParticipationPolicy, subject_key


@given(st.integers(0, MAX_EXPERIMENT_ID), st.integers(0, 255), st.integers(0, 2**32 - 1))
def test_pack_round_trips(experiment, variant, seconds):
    enrolment = Enrolment(experiment, variant, seconds)
    assert Enrolment.unpack(enrolment.pack()) == enrolment
    assert enrolment.pack() < 2**60


def test_pack_refuses_out_of_range_ids():
    with pytest.raises(ValueError):
        Enrolment(MAX_EXPERIMENT_ID + 1, 0, 0).pack()
    with pytest.raises(ValueError):
        Enrolment(0, 256, 0).pack()


def test_state_keeps_one_enrolment_per_experiment_and_forgets_on_request():
    state = EnrolmentState()
    key = subject_key("u-1")
    state.add(key, Enrolment(1, 0, 10))
    state.add(key, Enrolment(2, 1, 20))
    state.add(key, Enrolment(1, 1, 30))  # re-enrolment replaces, never duplicates
    assert sorted(state.of(key), key=lambda e: e.experiment) == [Enrolment(1, 1, 30), Enrolment(2, 1, 20)]
    state.remove(key, 1)
    assert state.of(key) == (Enrolment(2, 1, 20),)
    state.remove(key, 2)
    assert state.of(key) == () and len(state) == 0


def test_keep_drops_enrolments_that_no_longer_matter():
    state = EnrolmentState()
    key = subject_key("u-1")
    state.add(key, Enrolment(1, 0, 10))
    state.add(key, Enrolment(2, 0, 20), keep=lambda e: e.experiment != 1)
    assert state.of(key) == (Enrolment(2, 0, 20),)


def test_subject_key_is_64_bit_and_stable():
    assert subject_key("u-42") == subject_key("u-42") < 2**64
    assert subject_key("u-42") != subject_key("u-43")


@pytest.mark.parametrize(
    ("times", "n", "window_h", "cooldown_h", "ends"),
    [
        ([], 3, 24, 1, 0),
        ([0, 10], 3, 24, 1, 0),
        ([0, 10, 20], 3, 24, 1, 20 + 3600),
        ([0, 10, 86_400 + 5], 3, 24, 1, 0),  # third falls outside the first's window
        ([0, 10, 20, 7200], 3, 24, 1, 7200 + 3600),  # a new trigger restarts the cooldown
        ([0, 10, 20], 0, 24, 1, 0),  # 0 disables the cooldown
    ],
)
def test_cooldown_end_table(times, n, window_h, cooldown_h, ends):
    policy = ParticipationPolicy(10, n, window_h, cooldown_h)
    assert policy.cooldown_ends_s(times) == ends
