"""Properties of assignment: deterministic, uniform, independent across experiments, monotone in traffic.

The distribution tests hash 100k sequential subject ids ("user-0", "user-1", ...): they are
deterministic, so they cannot flake, and their bounds (4 sigma, p > 1e-6) are those a fair hash
passes anyway, so they keep meaning something if the hash is ever (wrongly) changed.
"""

from __future__ import annotations

import functools
import hashlib
import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lotty.bucketing import BUCKETS, Allocation, bucket_of, hash64, to_basis_points

N_SUBJECTS = 100_000
P_FLOOR = 1e-6
SIGMAS = 4.0

fast = settings(max_examples=200, database=None)

salts = st.text(min_size=1, max_size=40)
subjects = st.text(max_size=64)


@st.composite
def allocations(draw: st.DrawFn, min_traffic_bp: int = 1, max_traffic_bp: int = BUCKETS) -> Allocation:
    """Traffic in basis points split into 1..5 positive weights, built from percent strings."""
    traffic_bp = draw(st.integers(min_traffic_bp, max_traffic_bp))
    k = draw(st.integers(1, min(5, traffic_bp)))
    cuts: list[int] = []
    if k > 1:
        cuts = sorted(draw(st.sets(st.integers(1, traffic_bp - 1), min_size=k - 1, max_size=k - 1)))
    bounds = [*cuts, traffic_bp]
    weights = [str(Decimal(b - a) / 100) for a, b in zip([0, *cuts], bounds, strict=True)]
    allocation = Allocation.from_percents(str(Decimal(traffic_bp) / 100), weights)
    assert allocation.cumulative_bp == tuple(bounds)
    return allocation


@functools.cache
def _buckets(salt: str) -> np.ndarray:
    return np.fromiter(
        (bucket_of(salt, f"user-{i}") for i in range(N_SUBJECTS)), dtype=np.int64, count=N_SUBJECTS
    )


def _variants(salt: str, allocation: Allocation) -> np.ndarray:
    """Variant index per subject, -1 outside traffic (vectorised form of `variant_index`)."""
    buckets = _buckets(salt)
    index = np.searchsorted(np.array(allocation.cumulative_bp), buckets, side="right")
    return np.where(buckets < allocation.traffic_bp, index, -1)


# --- determinism and range ---------------------------------------------------------------------


@fast
@given(salts, subjects)
def test_hash_is_deterministic_and_matches_its_definition(salt: str, subject: str) -> None:
    h = hash64(salt, subject)
    assert h == hash64(salt, subject)
    assert 0 <= h < 2**64
    digest = hashlib.sha256(f"{salt}:{subject}".encode()).digest()
    assert h == int.from_bytes(digest[:8], "big")


@fast
@given(salts, subjects)
def test_bucket_is_hash_mod_buckets_and_in_range(salt: str, subject: str) -> None:
    bucket = bucket_of(salt, subject)
    assert bucket == bucket_of(salt, subject)
    assert bucket == hash64(salt, subject) % BUCKETS
    assert 0 <= bucket < BUCKETS


# --- the allocation table ----------------------------------------------------------------------


@fast
@given(allocations(), st.integers(0, BUCKETS - 1))
def test_variant_index_follows_the_cumulative_rule(allocation: Allocation, bucket: int) -> None:
    index = allocation.variant_index(bucket)
    if bucket >= allocation.traffic_bp:
        assert index is None
    else:
        assert index is not None, "never None inside traffic"
        expected = next(i for i, bound in enumerate(allocation.cumulative_bp) if bound > bucket)
        assert index == expected


@fast
@given(allocations())
def test_every_bucket_inside_traffic_gets_a_variant_and_ranges_match_weights(allocation: Allocation) -> None:
    counts = [0] * allocation.variant_count
    for bucket in range(BUCKETS):
        index = allocation.variant_index(bucket)
        assert (index is None) == (bucket >= allocation.traffic_bp)
        if index is not None:
            counts[index] += 1
    weights = np.diff([0, *allocation.cumulative_bp]).tolist()
    assert counts == weights  # each variant owns exactly weight_bp buckets


@fast
@given(allocations(max_traffic_bp=BUCKETS - 1), st.data(), salts, subjects)
def test_raising_traffic_keeps_every_subject_inside(
    allocation: Allocation, data: st.DataObject, salt: str, subject: str
) -> None:
    """For fixed salt and subject the bucket is fixed, so `bucket < t1 <= t2` stays inside."""
    raised = data.draw(allocations(min_traffic_bp=allocation.traffic_bp), label="raised")
    bucket = bucket_of(salt, subject)
    if allocation.variant_index(bucket) is not None:
        assert raised.variant_index(bucket) is not None


@fast
@given(allocations(max_traffic_bp=BUCKETS - 1), st.data(), st.integers(0, BUCKETS - 1))
def test_growing_only_the_last_variant_keeps_every_variant(
    allocation: Allocation, data: st.DataObject, bucket: int
) -> None:
    extra = data.draw(st.integers(1, BUCKETS - allocation.traffic_bp), label="extra_bp")
    total = allocation.traffic_bp + extra
    grown = Allocation(total, (*allocation.cumulative_bp[:-1], total))
    before = allocation.variant_index(bucket)
    if before is not None:
        assert grown.variant_index(bucket) == before


def test_rescaling_weights_with_traffic_can_move_a_subject() -> None:
    """docs/bucketing.md: `button-color` / `u-3` is `red` at 40 % 20/20 but `control` at 100 % 50/50."""
    bucket = bucket_of("button-color", "u-3")
    assert bucket == 2956
    assert Allocation.from_percents(40, [20, 20]).variant_index(bucket) == 1
    assert Allocation.from_percents(100, [50, 50]).variant_index(bucket) == 0


@pytest.mark.parametrize(("traffic", "weights"), [(100, [50, 60]), (40, [20, 19.99]), (100, [100, 0])])
def test_weights_must_sum_to_traffic(traffic: float, weights: list[float]) -> None:
    with pytest.raises(ValueError):
        Allocation.from_percents(traffic, weights)


@pytest.mark.parametrize("bucket", [-1, BUCKETS, 2**64])
def test_variant_index_rejects_buckets_out_of_range(bucket: int) -> None:
    with pytest.raises(ValueError):
        Allocation.from_percents(40, [20, 20]).variant_index(bucket)


# --- percents to basis points ------------------------------------------------------------------


@fast
@given(st.integers(1, BUCKETS))
def test_basis_points_round_trip(bp: int) -> None:
    text = str(Decimal(bp) / 100)
    assert to_basis_points(text) == bp
    assert to_basis_points(Decimal(text)) == bp
    assert to_basis_points(bp / 100) == bp
    assert to_basis_points(f"{bp / 100:.4f}") == bp  # trailing zeros are fine


@fast
@given(st.integers(1, 100_000).filter(lambda n: n % 10))
def test_basis_points_reject_a_third_decimal(thousandths: int) -> None:
    with pytest.raises(ValueError):
        to_basis_points(str(Decimal(thousandths) / 1000))
    with pytest.raises(ValueError):
        to_basis_points(thousandths / 1000)


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        100.01,
        "0",
        "0.00",
        "-0.01",
        "1e3",
        "nan",
        "inf",
        "-inf",
        "abc",
        "",
        True,
        None,
        0.1 + 0.2,
        "50.000000000000000000000000000001",
    ],
)
def test_basis_points_reject(value: object) -> None:
    with pytest.raises(ValueError):
        to_basis_points(value)  # type: ignore[arg-type]


# --- distribution over 100k subjects -----------------------------------------------------------


def test_buckets_are_uniform() -> None:
    counts = np.bincount(_buckets("checkout-cta"), minlength=BUCKETS)
    assert stats.chisquare(counts).pvalue > P_FLOOR


@pytest.mark.parametrize(("salt", "weights"), [("checkout-cta", [50, 50]), ("new-search", [30, 70])])
def test_split_matches_weights_within_4_sigma(salt: str, weights: list[float]) -> None:
    variants = _variants(salt, Allocation.from_percents(100, weights))
    p = weights[0] / 100
    expected, sigma = N_SUBJECTS * p, math.sqrt(N_SUBJECTS * p * (1 - p))
    observed = int(np.count_nonzero(variants == 0))
    assert abs(observed - expected) <= SIGMAS * sigma, (observed, expected, sigma)


def test_traffic_share_within_4_sigma() -> None:
    variants = _variants("button-color", Allocation.from_percents(40, [20, 20]))
    for index, p in [(-1, 0.6), (0, 0.2), (1, 0.2)]:
        observed = int(np.count_nonzero(variants == index))
        assert abs(observed - N_SUBJECTS * p) <= SIGMAS * math.sqrt(N_SUBJECTS * p * (1 - p))


def test_two_experiments_assign_independently() -> None:
    half = Allocation.from_percents(100, [50, 50])
    a, b = _variants("checkout-cta", half), _variants("new-search", half)
    table = np.zeros((2, 2), dtype=np.int64)
    np.add.at(table, (a, b), 1)
    assert stats.chi2_contingency(table).pvalue > P_FLOOR


def test_two_experiments_buckets_are_independent() -> None:
    """Stronger than the 2x2: deciles of one experiment's bucket against the other's."""
    a, b = _buckets("checkout-cta") // 1000, _buckets("new-search") // 1000
    table = np.zeros((10, 10), dtype=np.int64)
    np.add.at(table, (a, b), 1)
    assert stats.chi2_contingency(table).pvalue > P_FLOOR
