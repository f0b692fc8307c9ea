"""Self-verifying `decision_id` tokens (SPEC §3, DESIGN "Decide path").

A decision_id carries what the events endpoint needs to check an event against its decision,
without a lookup: flag, experiment, version, variant, a digest of the subject, the issue time
and a nonce (so repeated decides with the same outcome get different ids).

Format (version 1), base64url without padding of:

    0x01 | msgpack([flag, experiment, version, variant, subject_digest, issued_at_ms, nonce]) | tag

- `subject_digest` = first 8 bytes of SHA-256 of the UTF-8 subject id;
- `nonce` = 8 bytes unique per token: a random per-process start plus a counter (uniqueness is
  all it needs; the tag, not the nonce, is what makes a token unforgeable);
- `tag` = BLAKE2b keyed with the secret (16-byte digest) over version byte + msgpack payload.
  BLAKE2's keyed mode is a MAC by design and costs half of HMAC-SHA256 on this hot path.

The token is signed, not encrypted: whoever holds it can read the claims (they are what the
decide answer already told the caller). Only the holder of the secret can make one. Typical
length is about 100 characters. Verification does not check age; the events path applies its
own time window to event timestamps.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import itertools
import os
import struct
from collections.abc import Sequence
from itertools import islice
from typing import Annotated, Any

import msgspec

from lotty.errors import ValidationError

__all__ = [
    "TOKEN_VERSION",
    "DecisionClaims",
    "InvalidDecisionId",
    "issue_decision_id",
    "issue_decision_ids",
    "subject_digest",
    "verify_decision_id",
]

TOKEN_VERSION = 1
"""First byte of every token; bump it (and keep verifying the old one) to change the format."""

_VERSION_BYTE = bytes([TOKEN_VERSION])
_TAG_BYTES = 16
_DIGEST_BYTES = 8
_NONCE_BYTES = 8
_MIN_RAW_BYTES = 1 + 26 + _TAG_BYTES
"""Version byte, the smallest claims array (fixarray, empty flag, three nils, two 8-byte bins, a
fixint: 26 bytes) and the tag; anything shorter cannot be a token."""
_MAX_TOKEN_CHARS = 1024
"""Flag and experiment keys are at most 128 characters and variant names 64, so real tokens stay
under ~520 characters; longer input is rejected before any decoding work."""

_Bytes8 = Annotated[bytes, msgspec.Meta(min_length=_DIGEST_BYTES, max_length=_DIGEST_BYTES)]


class DecisionClaims(msgspec.Struct, frozen=True, array_like=True):
    """What a decision_id says. `experiment`, `version` and `variant` are None for a decision
    that served the flag default without an experiment."""

    flag: str
    experiment: str | None
    version: int | None
    variant: str | None
    subject_digest: _Bytes8
    issued_at_ms: int
    nonce: _Bytes8

    def matches_subject(self, subject_id: str) -> bool:
        """True when the decision was made for `subject_id`."""
        return hmac.compare_digest(self.subject_digest, subject_digest(subject_id))


class InvalidDecisionId(ValidationError):
    """A decision_id that is malformed, was not issued with this server's secret, or was altered."""

    code = "INVALID_DECISION_ID"

    def __init__(self, reason: str):
        super().__init__(
            f"decision_id does not verify: {reason}", field="decision_id", details={"reason": reason}
        )


_encode = msgspec.msgpack.Encoder().encode
_decode_claims = msgspec.msgpack.Decoder(DecisionClaims).decode


def subject_digest(subject_id: str) -> bytes:
    """First 8 bytes of SHA-256 of the subject id (UTF-8; lone surrogates pass through, never raise)."""
    return hashlib.sha256(subject_id.encode("utf-8", "surrogatepass")).digest()[:_DIGEST_BYTES]


@functools.lru_cache(maxsize=8)
def _mac_key(secret: bytes) -> bytes:
    """The BLAKE2b key (at most 64 bytes) for a secret of any length."""
    if not isinstance(secret, bytes) or not secret:
        raise ValueError("the decision_id secret must be non-empty bytes")
    return secret if len(secret) <= 64 else hashlib.blake2b(secret).digest()


def _tag(secret: bytes, signed: bytes) -> bytes:
    return hashlib.blake2b(signed, key=_mac_key(secret), digest_size=_TAG_BYTES).digest()


@functools.lru_cache(maxsize=8)
def _keyed_mac(secret: bytes) -> Any:
    """A BLAKE2b state that has absorbed the key block: copying it skips that block on every tag."""
    return hashlib.blake2b(key=_mac_key(secret), digest_size=_TAG_BYTES)


_nonces = itertools.count(int.from_bytes(os.urandom(_NONCE_BYTES), "big"))


_UINT64 = struct.Struct(">BQ")  # msgpack uint 64
_UINT64_MIN, _UINT64_MAX = 2**32, 2**64 - 1  # the now_ms msgspec writes as a uint 64
_BIN8 = bytes([0xC4, _DIGEST_BYTES])  # msgpack bin 8 header of an 8-byte digest or nonce
_NONCE_MASK = 0xFFFF_FFFF_FFFF_FFFF
_b2a_base64 = binascii.b2a_base64  # standard alphabet, "=" padding, a newline after each
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_prefixes: dict[tuple[str, str | None, int | None, str | None], bytes] = {}


def _outcome_prefix(flag: str, experiment: str | None, version: int | None, variant: str | None) -> bytes:
    """Version byte and the msgpack encoding of the claims up to the variant, cached per outcome.

    Decisions repeat a handful of outcomes (flag, experiment, version, variant), so the costly part
    of encoding is done once; the rest of the array is two 8-byte bins and a uint64, written
    directly in the form msgpack (and so `verify_decision_id`) reads.
    """
    key = (flag, experiment, version, variant)
    found = _prefixes.get(key)
    if found is None:
        whole = _encode(DecisionClaims(flag, experiment, version, variant, bytes(8), 0, bytes(8)))
        found = _VERSION_BYTE + whole[: -(2 + 8 + 1 + 2 + 8)]  # drop bin8 digest, fixint 0, bin8 nonce
        if len(_prefixes) > 100_000:  # bounded: outcomes are few; this only guards against misuse
            _prefixes.clear()
        _prefixes[key] = found
    return found


def _next_nonce() -> bytes:
    return (next(_nonces) & _NONCE_MASK).to_bytes(_NONCE_BYTES, "big")


def issue_decision_id(
    secret: bytes,
    *,
    flag: str,
    experiment: str | None,
    version: int | None,
    variant: str | None,
    subject_id: str,
    now_ms: int,
    nonce: bytes | None = None,
    digest: bytes | None = None,
) -> str:
    """A new signed decision_id for one decision made at `now_ms` (Unix epoch milliseconds).

    `secret` must be non-empty bytes (`ValueError` otherwise). `nonce` defaults to the next
    process-unique value, which makes every call's token different; pass 8 bytes of your own
    only for reproducible tests. `digest` is `subject_digest(subject_id)` when the caller has it.
    """
    if nonce is None:
        nonce = _next_nonce()
    elif len(nonce) != _NONCE_BYTES:
        raise ValueError(f"nonce must be {_NONCE_BYTES} bytes, got {len(nonce)}")
    outcome = (flag, experiment, version, variant)
    return issue_decision_ids(secret, [outcome], digest or subject_digest(subject_id), now_ms, [nonce])[0]


def issue_decision_ids(
    secret: bytes,
    outcomes: Sequence[tuple[str, str | None, int | None, str | None]],
    digest: bytes,
    now_ms: int,
    nonces: Sequence[bytes] | None = None,
) -> list[str]:
    """Tokens for one decide call's outcomes (flag, experiment, version, variant) at once.

    The bytes are exactly `issue_decision_id`'s: the cached msgpack prefix of the outcome, then the
    digest and nonce as bin8 and `now_ms` as a msgpack uint64, which is the form msgspec itself
    writes for every real clock reading (>= 2**32 ms); smaller times are encoded by msgspec.
    `nonces` default to fresh process-unique ones.
    """
    if not _UINT64_MIN <= now_ms <= _UINT64_MAX:  # not a real clock reading: msgspec writes it
        return [
            _issue_encoded(secret, DecisionClaims(*o, digest, now_ms, _next_nonce() if nonces is None else n))
            for o, n in zip(outcomes, nonces or [b""] * len(outcomes), strict=True)
        ]
    if nonces is None:  # islice: the shared counter hands out distinct values even across threads
        nonces = [(n & _NONCE_MASK).to_bytes(_NONCE_BYTES, "big") for n in islice(_nonces, len(outcomes))]
    mac = _keyed_mac(secret)
    middle = _BIN8 + digest + _UINT64.pack(0xCF, now_ms) + _BIN8
    prefixes = _prefixes
    raws = []
    for outcome, nonce in zip(outcomes, nonces, strict=True):
        prefix = prefixes.get(outcome)
        signed = (prefix or _outcome_prefix(*outcome)) + middle + nonce
        keyed = mac.copy()
        keyed.update(signed)
        raws.append(signed + keyed.digest())
    # Base64 of every token in one pass: each ends with a newline; padding, the only "=", is deleted.
    text = b"".join(map(_b2a_base64, raws)).translate(_URL_SAFE, b"=").decode("ascii")
    return text.split("\n")[:-1]


def _issue_encoded(secret: bytes, claims: DecisionClaims) -> str:
    signed = _VERSION_BYTE + _encode(claims)
    return base64.urlsafe_b64encode(signed + _tag(secret, signed)).rstrip(b"=").decode("ascii")


def verify_decision_id(secret: bytes, token: str) -> DecisionClaims:
    """The claims of a token this secret issued, unchanged.

    Raises `InvalidDecisionId` for anything else (wrong type, length, alphabet or padding,
    unknown version, bad tag, undecodable claims) and never another exception for any `token`.
    """
    if not isinstance(token, str):
        raise InvalidDecisionId("not a string")
    if len(token) > _MAX_TOKEN_CHARS:
        raise InvalidDecisionId("too long")
    try:
        encoded = token.encode("ascii")
        raw = base64.urlsafe_b64decode(encoded + b"=" * (-len(encoded) % 4))
    except ValueError:  # UnicodeEncodeError (not ASCII), binascii.Error (bad length)
        raise InvalidDecisionId("not base64url") from None
    # The decoder skips foreign characters and ignores unused trailing bits; requiring the
    # canonical spelling makes exactly one string valid per token.
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != encoded:
        raise InvalidDecisionId("not canonical base64url without padding")
    if len(raw) < _MIN_RAW_BYTES:
        raise InvalidDecisionId("too short")
    if raw[0] != TOKEN_VERSION:
        raise InvalidDecisionId(f"unknown token version {raw[0]}")
    signed, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(secret, signed)):
        raise InvalidDecisionId("bad signature")
    try:
        return _decode_claims(memoryview(signed)[1:])
    # Only reachable with a leaked secret or a format bug; a claim string that is not UTF-8 raises
    # UnicodeDecodeError (a ValueError), not msgspec's DecodeError.
    except (msgspec.DecodeError, ValueError):
        raise InvalidDecisionId("undecodable claims") from None
