"""Deterministic assignment of subjects to traffic and variants (SPEC §3, docs/bucketing.md).

The algorithm is fixed forever, because every node and every SDK must give the same answer
for the same experiment and subject:

    H      = first 8 bytes, big-endian unsigned, of SHA-256(UTF-8(salt + ":" + subject_id))
    bucket = H mod 10000
    inside traffic  <=>  bucket < traffic_bp
    variant index   =    first i with cumulative_bp[i] > bucket

Percents (traffic and weights, at most 2 decimals) become integer basis points once, when an
`Allocation` is built, so the hot path is integer comparisons only. The cases in
`tests/golden/bucketing_cases.json` pin the behaviour; change them and you re-assign everyone.
"""

from __future__ import annotations

import hashlib
import struct
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["BUCKETS", "Allocation", "bucket_of", "hash64", "to_basis_points"]

BUCKETS = 10_000
"""Number of buckets; one bucket is one basis point (0.01 %) of traffic."""

_sha256 = hashlib.sha256
_first_u64 = struct.Struct(">Q").unpack_from  # first 8 bytes, big-endian unsigned; no slice copy


def hash64(salt: str, subject_id: str) -> int:
    """The 64-bit assignment hash H of `salt + ":" + subject_id`.

    The string is encoded as strict UTF-8 without normalisation (NFC and NFD spellings of the
    same text hash differently). A string that is not valid Unicode (a lone surrogate) raises
    `UnicodeEncodeError`, a `ValueError`.
    """
    return _first_u64(_sha256(f"{salt}:{subject_id}".encode()).digest())[0]


def bucket_of(salt: str, subject_id: str) -> int:
    """The subject's bucket in [0, BUCKETS) for the experiment whose key is `salt`."""
    # hash64 inlined: this runs on every decide.
    return _first_u64(_sha256(f"{salt}:{subject_id}".encode()).digest())[0] % BUCKETS


def to_basis_points(percent: float | Decimal | str) -> int:
    """Convert a percent in (0, 100] with at most 2 decimals to an exact integer of basis points.

    `33.33` -> 3333, `"100"` -> 10000, `Decimal("12.50")` -> 1250. A float is read through its
    shortest repr (`str(33.33) == "33.33"`), so a float that is not exactly a 2-decimal number
    (`0.1 + 0.2`) is rejected rather than rounded. Raises `ValueError` for more than 2 decimals,
    a value outside (0, 100], NaN, infinities, booleans and text that is not a number.
    """
    if isinstance(percent, bool) or not isinstance(percent, int | float | Decimal | str):
        raise ValueError(f"percent must be a number, got {percent!r}")
    try:
        value = Decimal(str(percent))
    except InvalidOperation:
        raise ValueError(f"percent is not a number: {percent!r}") from None
    # Decimal comparisons are exact (no context rounding), so check the range before scaling.
    if not value.is_finite() or not 0 < value <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent!r}")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    coefficient = int("".join(map(str, digits)))
    if exponent >= -2:
        return coefficient * 10 ** (exponent + 2)
    # More than 2 digits after the point: allowed only when the extra ones are zeros ("12.500").
    extra = -2 - exponent
    if extra >= len(digits) or any(digits[-extra:]):
        raise ValueError(f"percent has more than 2 decimals: {percent!r}")
    return coefficient // 10**extra


@dataclass(frozen=True, slots=True)
class Allocation:
    """Traffic and variant weights of one experiment version, in basis points.

    `cumulative_bp[i]` is the sum of the weights of variants 0..i; the last entry equals
    `traffic_bp` (the weights sum exactly to the traffic). Build it with `from_percents`.
    """

    traffic_bp: int
    cumulative_bp: tuple[int, ...]

    def __post_init__(self) -> None:
        if not 0 < self.traffic_bp <= BUCKETS:
            raise ValueError(f"traffic_bp must be in (0, {BUCKETS}], got {self.traffic_bp}")
        if len(self.cumulative_bp) < 1:
            raise ValueError("an allocation needs at least one variant")
        previous = 0
        for bound in self.cumulative_bp:
            if bound <= previous:
                raise ValueError(f"cumulative_bp must be strictly increasing from > 0: {self.cumulative_bp}")
            previous = bound
        if previous != self.traffic_bp:
            raise ValueError(
                f"variant weights sum to {previous} bp, traffic is {self.traffic_bp} bp; must be equal"
            )

    @classmethod
    def from_percents(
        cls, traffic: float | Decimal | str, weights: Sequence[float | Decimal | str]
    ) -> Allocation:
        """Build from SPEC percents, e.g. `from_percents(40.0, [20.0, 20.0])`.

        Raises `ValueError` when a value is not a valid percent (see `to_basis_points`) or the
        weights do not sum exactly to the traffic.
        """
        traffic_bp = to_basis_points(traffic)
        cumulative: list[int] = []
        total = 0
        for weight in weights:
            total += to_basis_points(weight)
            cumulative.append(total)
        return cls(traffic_bp, tuple(cumulative))

    @property
    def variant_count(self) -> int:
        return len(self.cumulative_bp)

    def variant_index(self, bucket: int) -> int | None:
        """Index of the variant for `bucket`, or None when the bucket is outside traffic.

        Raises `ValueError` for a bucket outside [0, BUCKETS) (a caller bug, not a subject).
        """
        if 0 <= bucket < self.traffic_bp:
            # bisect_right gives the first i with cumulative_bp[i] > bucket.
            return bisect_right(self.cumulative_bp, bucket)
        if bucket < 0 or bucket >= BUCKETS:
            raise ValueError(f"bucket must be in [0, {BUCKETS}), got {bucket}")
        return None
