"""decision_id tokens: round trip, tamper detection, wrong secret, subject binding, garbage input."""

from __future__ import annotations

import base64
import hashlib
import string
from typing import Any

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lotty.errors import ValidationError
from lotty.tokens import (
    TOKEN_VERSION,
    DecisionClaims,
    InvalidDecisionId,
    issue_decision_id,
    issue_decision_ids,
    subject_digest,
    verify_decision_id,
)

SECRET = b"test-secret-0123456789abcdef0123"
OTHER_SECRET = b"test-secret-0123456789abcdef0124"
NOW_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
NONCE = bytes(range(8))
B64URL = string.ascii_letters + string.digits + "-_"

fast = settings(max_examples=300, database=None)

ASSIGNED: dict[str, Any] = dict(
    flag="button_color", experiment="checkout-cta", version=2, variant="red", subject_id="u-42"
)
DEFAULT: dict[str, Any] = dict(
    flag="new_search", experiment=None, version=None, variant=None, subject_id="u-42"
)


def _issue(**overrides: object) -> str:
    fields: dict = {**ASSIGNED, "now_ms": NOW_MS, "nonce": NONCE, **overrides}
    return issue_decision_id(SECRET, **fields)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _signed_token(payload: bytes, *, version: int = TOKEN_VERSION, secret: bytes = SECRET) -> str:
    """A correctly tagged token around any payload: what only a holder of the secret could make."""
    signed = bytes([version]) + payload
    return _b64(signed + hashlib.blake2b(signed, key=secret, digest_size=16).digest())


def _reason(token: object, secret: bytes = SECRET) -> str:
    with pytest.raises(InvalidDecisionId) as caught:
        verify_decision_id(secret, token)  # type: ignore[arg-type]
    return caught.value.details["reason"]


# --- round trip --------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", [ASSIGNED, DEFAULT], ids=["assigned", "default"])
def test_round_trip(decision: dict) -> None:
    token = issue_decision_id(SECRET, **decision, now_ms=NOW_MS, nonce=NONCE)
    claims = verify_decision_id(SECRET, token)
    assert claims == DecisionClaims(
        flag=decision["flag"],
        experiment=decision["experiment"],
        version=decision["version"],
        variant=decision["variant"],
        subject_digest=subject_digest("u-42"),
        issued_at_ms=NOW_MS,
        nonce=NONCE,
    )
    assert claims.matches_subject("u-42")


def test_token_is_compact_url_safe_and_versioned() -> None:
    token = issue_decision_id(SECRET, **ASSIGNED, now_ms=NOW_MS)
    assert set(token) <= set(B64URL)  # no padding, nothing to escape in a URL or JSON
    assert len(token) <= 110
    assert _raw(token)[0] == TOKEN_VERSION


@fast
@given(
    flag=st.text(max_size=128),
    experiment=st.none() | st.text(max_size=128),
    version=st.none() | st.integers(-(2**63), 2**64 - 1),
    variant=st.none() | st.text(max_size=64),
    subject_id=st.text(max_size=200),
    now_ms=st.integers(0, 2**63 - 1),
    nonce=st.binary(min_size=8, max_size=8),
)
def test_round_trip_any_claims(
    flag: str,
    experiment: str | None,
    version: int | None,
    variant: str | None,
    subject_id: str,
    now_ms: int,
    nonce: bytes,
) -> None:
    token = issue_decision_id(
        SECRET,
        flag=flag,
        experiment=experiment,
        version=version,
        variant=variant,
        subject_id=subject_id,
        now_ms=now_ms,
        nonce=nonce,
    )
    claims = verify_decision_id(SECRET, token)
    assert (claims.flag, claims.experiment) == (flag, experiment)
    assert (claims.version, claims.variant) == (version, variant)
    assert (claims.issued_at_ms, claims.nonce) == (now_ms, nonce)
    assert claims.matches_subject(subject_id)


outcomes = st.tuples(
    st.sampled_from(["button_color", "new_search", "ü"]) | st.text(max_size=130),
    st.none() | st.sampled_from(["checkout-cta", "e"]) | st.text(max_size=130),
    st.none() | st.integers(-(2**63), 2**64 - 1),
    st.none() | st.sampled_from(["red", "control"]) | st.text(max_size=64),
)


@fast
@given(
    outcomes=st.lists(outcomes, max_size=6),
    digest=st.binary(min_size=8, max_size=8),
    now_ms=st.integers(0, 2**63 - 1),
    nonces=st.lists(st.binary(min_size=8, max_size=8), min_size=6, max_size=6),
)
def test_a_calls_ids_are_the_msgspec_encoding_signed(
    outcomes: list[tuple[str, str | None, int | None, str | None]],
    digest: bytes,
    now_ms: int,
    nonces: list[bytes],
) -> None:
    """The batch path writes the msgpack tail and base64 itself; the bytes must be msgspec's."""
    nonces = nonces[: len(outcomes)]
    expected = [
        _signed_token(msgspec.msgpack.encode(DecisionClaims(*outcome, digest, now_ms, nonce)))
        for outcome, nonce in zip(outcomes, nonces, strict=True)
    ]
    assert issue_decision_ids(SECRET, outcomes, digest, now_ms, nonces) == expected
    assert issue_decision_ids(SECRET, outcomes, digest, now_ms, nonces) == expected  # cached prefixes


def test_a_calls_fresh_ids_are_distinct() -> None:
    outcome = ("f", "e", 1, "red")
    tokens = issue_decision_ids(SECRET, [outcome] * 50, subject_digest("u"), NOW_MS)
    assert len(set(tokens)) == 50
    assert {verify_decision_id(SECRET, t).variant for t in tokens} == {"red"}


# --- nonces ------------------------------------------------------------------------------------


def test_repeated_decides_get_new_tokens_for_the_same_outcome() -> None:
    tokens = {issue_decision_id(SECRET, **ASSIGNED, now_ms=NOW_MS) for _ in range(1000)}
    assert len(tokens) == 1000
    outcomes = {verify_decision_id(SECRET, t).variant for t in tokens}
    assert outcomes == {"red"}


def test_new_nonce_new_token_same_nonce_same_token() -> None:
    assert _issue(nonce=NONCE) == _issue(nonce=NONCE)
    assert _issue(nonce=NONCE) != _issue(nonce=bytes(8))


@pytest.mark.parametrize("nonce", [b"", b"1234567", b"123456789"])
def test_nonce_must_be_8_bytes(nonce: bytes) -> None:
    with pytest.raises(ValueError):
        _issue(nonce=nonce)


# --- tampering and secrets ---------------------------------------------------------------------


def test_flipping_any_byte_breaks_the_token() -> None:
    raw = _raw(_issue())
    for i in range(len(raw)):
        for mask in (0x01, 0x80, 0xFF):
            tampered = bytearray(raw)
            tampered[i] ^= mask
            assert _reason(_b64(bytes(tampered))) in {"bad signature", f"unknown token version {tampered[0]}"}


def test_changing_any_character_breaks_the_token() -> None:
    """Covers the unused low bits of the last character too: only the canonical spelling verifies."""
    token = _issue()
    for i, char in enumerate(token):
        for other in (c for c in B64URL if c != char):
            with pytest.raises(InvalidDecisionId):
                verify_decision_id(SECRET, token[:i] + other + token[i + 1 :])


def test_truncated_or_extended_tokens_fail() -> None:
    token = _issue()
    for cut in range(len(token)):
        with pytest.raises(InvalidDecisionId):
            verify_decision_id(SECRET, token[:cut])
    for suffix in ("A", "AA", "AAA", "AAAA", "=", "==", " ", "\n"):
        with pytest.raises(InvalidDecisionId):
            verify_decision_id(SECRET, token + suffix)


def test_wrong_secret_fails() -> None:
    assert _reason(_issue(), secret=OTHER_SECRET) == "bad signature"


@pytest.mark.parametrize("secret", [b"", "text-secret"])
def test_secret_must_be_non_empty_bytes(secret: object) -> None:
    with pytest.raises(ValueError):
        issue_decision_id(secret, **ASSIGNED, now_ms=NOW_MS)  # type: ignore[arg-type]


def test_unknown_version_fails_even_when_tagged() -> None:
    payload = msgspec.msgpack.encode(verify_decision_id(SECRET, _issue()))
    newer = TOKEN_VERSION + 1
    assert _reason(_signed_token(payload, version=newer)) == f"unknown token version {newer}"


@pytest.mark.parametrize(
    "payload",
    [
        b"\xc1",  # never-used msgpack byte
        b"",
        msgspec.msgpack.encode(["f", None, None, None, b"1234567", NOW_MS, NONCE]),  # 7-byte digest
        msgspec.msgpack.encode(["f", None, None, None, b"12345678", NOW_MS, b"1234567"]),  # 7-byte nonce
        msgspec.msgpack.encode(["f", None, None, None, b"12345678", "soon", NONCE]),  # wrong type
        msgspec.msgpack.encode({"flag": "f"}),  # a map, not the array form
    ],
)
def test_tagged_but_undecodable_claims_fail(payload: bytes) -> None:
    """Reachable only with the secret (a leak or a format bug), still never a crash."""
    assert _reason(_signed_token(payload)) in {"undecodable claims", "too short"}


def test_error_is_a_validation_error_with_a_stable_code() -> None:
    with pytest.raises(ValidationError) as caught:
        verify_decision_id(SECRET, "nope")
    assert caught.value.code == "INVALID_DECISION_ID"
    assert caught.value.details["field"] == "decision_id"
    assert caught.value.message.startswith("decision_id does not verify")


# --- subject binding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued_for", "checked", "matches"),
    [
        ("u-42", "u-42", True),
        ("u-42", "u-43", False),
        ("u-42", "U-42", False),
        ("u-42", "u-42 ", False),
        ("", "", True),
        ("", "u-42", False),
        ("用户-42", "用户-42", True),
        ("\u00e9", "e\u0301", False),
    ],
)
def test_matches_subject(issued_for: str, checked: str, matches: bool) -> None:
    claims = verify_decision_id(SECRET, _issue(subject_id=issued_for))
    assert claims.matches_subject(checked) is matches


def test_subject_digest_is_first_8_bytes_of_sha256() -> None:
    assert subject_digest("u-42") == hashlib.sha256(b"u-42").digest()[:8]
    assert len(subject_digest("\ud800")) == 8  # a lone surrogate is digested, not an exception


# --- garbage -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    ["", "x", "==", "é", "\x00" * 40, "A" * 1025, "A" * 10_000, "🙂" * 30, None, 42, b"bytes", ["list"]],
)
def test_garbage_fails_cleanly(token: object) -> None:
    with pytest.raises(InvalidDecisionId):
        verify_decision_id(SECRET, token)  # type: ignore[arg-type]


def _only_invalid_decision_id(token: str) -> None:
    """Any other exception propagates and fails the test."""
    try:
        verify_decision_id(SECRET, token)
    except InvalidDecisionId:
        return
    raise AssertionError(f"garbage verified: {token!r}")


@fast
@given(st.text(max_size=300))
def test_random_text_only_raises_invalid_decision_id(token: str) -> None:
    _only_invalid_decision_id(token)


@fast
@given(st.text(alphabet=B64URL + "=+/ ", max_size=300))
def test_random_base64ish_text_only_raises_invalid_decision_id(token: str) -> None:
    _only_invalid_decision_id(token)


@fast
@given(st.binary(max_size=300))
def test_random_well_formed_base64url_only_raises_invalid_decision_id(raw: bytes) -> None:
    _only_invalid_decision_id(_b64(raw))
    _only_invalid_decision_id(_b64(bytes([TOKEN_VERSION]) + raw))


@fast
@given(st.binary(max_size=120))
@example(b"\x97\xab" + bytes(10) + b"\x80" + bytes(13))  # 7 claims, the first not UTF-8
def test_random_tagged_payload_only_raises_invalid_decision_id_or_verifies(payload: bytes) -> None:
    token = _signed_token(payload)
    try:
        claims = verify_decision_id(SECRET, token)
    except InvalidDecisionId:
        return
    assert isinstance(claims, DecisionClaims)
