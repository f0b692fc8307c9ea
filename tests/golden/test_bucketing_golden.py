"""Golden cases pinning the assignment hash and bucketing (docs/bucketing.md).

`bucketing_cases.json` is the contract every node and SDK shares. It was generated once and
must never be regenerated to make a test pass: a changed hash or bucket re-assigns subjects of
running experiments. To add cases, append new ones computed the same way.

How it was generated (a throwaway script, not kept in the repo):

- five allocations, each with its own salt (an experiment key): "50-50" (checkout-cta, 100 %
  traffic, 50/50), "30-70" (new-search, 100 %, 30/70), "three-way" (pricing-page, 100 %,
  33.33/33.33/33.34), "40-traffic" (button-color, 40 %, 20/20), "5-traffic" (onboarding.v2,
  5 %, 2.5/2.5); the file stores percents and their basis points;
- for every allocation the subjects u-1..u-5, user-42 and a UUID;
- edge buckets (the last bucket of a range and the first of the next, 0, 9999, the first bucket
  outside traffic): for each target bucket the first subject `edge-<n>`, n = 0, 1, ..., whose
  bucket equals it;
- special subjects: "" (empty), "用户-42", "é" in NFC and in NFD (different bytes, different
  hash: there is no normalisation), "Ünïcödé 🙂", "a:b" (a colon in the subject), " u-1"
  (leading space); non-ASCII ones also carry `subject_id_utf8_hex`;
- three more subjects u-<n> that fall inside the 5 % traffic;
- each case stores hash64 as a decimal string (it exceeds 2**63 and 2**53), the bucket, the
  variant index and name (null outside traffic), all computed with `lotty.bucketing`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from lotty.bucketing import BUCKETS, Allocation, bucket_of, hash64

GOLDEN = json.loads((Path(__file__).parent / "bucketing_cases.json").read_text(encoding="utf-8"))
ALLOCATIONS: dict[str, dict[str, Any]] = GOLDEN["allocations"]
CASES: list[dict[str, Any]] = GOLDEN["cases"]


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['allocation']}|{case['subject_id']!r}"


def _allocation(name: str) -> Allocation:
    spec = ALLOCATIONS[name]
    return Allocation.from_percents(spec["traffic"], [v["weight"] for v in spec["variants"]])


def test_file_shape() -> None:
    assert GOLDEN["buckets"] == BUCKETS
    assert len(CASES) >= 60
    assert len({(c["salt"], c["subject_id"]) for c in CASES}) == len(CASES), "duplicate case"


@pytest.mark.parametrize("name", sorted(ALLOCATIONS))
def test_allocation_basis_points(name: str) -> None:
    spec = ALLOCATIONS[name]
    allocation = _allocation(name)
    assert allocation.traffic_bp == spec["traffic_bp"]
    assert list(allocation.cumulative_bp) == spec["cumulative_bp"]
    running = 0
    for variant, bound in zip(spec["variants"], spec["cumulative_bp"], strict=True):
        running += variant["weight_bp"]
        assert running == bound


@pytest.mark.parametrize("name", sorted(ALLOCATIONS))
def test_cases_cover_every_outcome(name: str) -> None:
    """Guards the file itself: every variant, and outside traffic when traffic < 100 %, is pinned."""
    spec = ALLOCATIONS[name]
    seen = {c["variant"] for c in CASES if c["allocation"] == name}
    expected = {v["name"] for v in spec["variants"]}
    if spec["traffic_bp"] < BUCKETS:
        expected.add(None)
    assert seen == expected


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case(case: dict[str, Any]) -> None:
    spec = ALLOCATIONS[case["allocation"]]
    salt, subject = case["salt"], case["subject_id"]
    assert salt == spec["salt"]
    if "subject_id_utf8_hex" in case:
        assert subject.encode("utf-8").hex() == case["subject_id_utf8_hex"]

    # The hash, restated from the spec with nothing but hashlib, then through lotty.
    expected_hash = int(case["hash64"])
    digest = hashlib.sha256((salt + ":" + subject).encode("utf-8")).digest()
    assert int.from_bytes(digest[:8], "big") == expected_hash
    assert hash64(salt, subject) == expected_hash

    assert expected_hash % BUCKETS == case["bucket"]
    assert bucket_of(salt, subject) == case["bucket"]

    index = _allocation(case["allocation"]).variant_index(case["bucket"])
    assert index == case["variant_index"]
    assert case["variant"] == (None if index is None else spec["variants"][index]["name"])
