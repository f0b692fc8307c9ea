"""OpenFeature Remote Evaluation Protocol (SPEC §3.2): context in, OFREP answers out (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from lotty.decide_input import MAX_SUBJECT_ID, SCALARS
from lotty.decision import (
    EXPERIMENT_ASSIGNED,
    EXPERIMENT_PAUSED,
    FLAG_NOT_FOUND,
    NO_ACTIVE_EXPERIMENT,
)
from lotty.errors import JSON_DECODE_ERRORS
from lotty.runtime import IssuedDecision

# OFREP reasons: SPLIT for an experiment's variant, STATIC when no experiment runs, DISABLED
# while it is paused, DEFAULT whenever a running experiment left the subject on the default.
REASON_BY_LOTTY_REASON = {
    EXPERIMENT_ASSIGNED: "SPLIT",
    NO_ACTIVE_EXPERIMENT: "STATIC",
    EXPERIMENT_PAUSED: "DISABLED",
}


class OfrepError(Exception):
    """An OFREP error answer: `{"errorCode", "errorDetails"}` with an HTTP status."""

    def __init__(self, status: int, code: str, details: str):
        super().__init__(details)
        self.status, self.code, self.details = status, code, details


class OfrepRequest(msgspec.Struct):
    context: dict[str, Any] | None = None


def parse_request(body: bytes) -> tuple[str, dict[str, Any]]:
    """(subject id, flat attributes) from an OFREP request body."""
    try:
        request = msgspec.json.decode(body or b"{}", type=OfrepRequest)
    except (*JSON_DECODE_ERRORS, RecursionError) as exc:
        raise OfrepError(400, "PARSE_ERROR", f"request body is not a valid OFREP request: {exc}") from None
    context = request.context or {}
    targeting_key = context.get("targetingKey")
    if targeting_key is None or targeting_key == "":
        raise OfrepError(400, "TARGETING_KEY_MISSING", "context.targetingKey is required (the subject id)")
    if not isinstance(targeting_key, str) or len(targeting_key) > MAX_SUBJECT_ID:
        raise OfrepError(
            400,
            "INVALID_CONTEXT",
            f"context.targetingKey must be a string of at most {MAX_SUBJECT_ID} characters",
        )
    attributes: dict[str, Any] = {}
    _flatten({k: v for k, v in context.items() if k != "targetingKey"}, "", attributes)
    return targeting_key, attributes


def _flatten(value: Mapping[str, Any], prefix: str, out: dict[str, Any], depth: int = 0) -> None:
    """Nested context objects become dotted attribute names (`device.os`), as targeting expects."""
    if depth > 8:
        raise OfrepError(400, "INVALID_CONTEXT", "context is nested more than 8 levels deep")
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            _flatten(item, f"{name}.", out, depth + 1)
        elif _is_scalar_or_scalars(item):
            out[name] = item
        else:
            raise OfrepError(
                400, "INVALID_CONTEXT", f"context.{name} must be a scalar, list of scalars or object"
            )
    if len(out) > 200:
        raise OfrepError(400, "INVALID_CONTEXT", "context has more than 200 attributes")


def _is_scalar_or_scalars(value: Any) -> bool:
    return isinstance(value, SCALARS) or (
        isinstance(value, list) and all(isinstance(i, SCALARS) for i in value)
    )


def evaluation(decision: IssuedDecision) -> dict[str, Any]:
    """One OFREP evaluation answer (or its FLAG_NOT_FOUND error) for one decision."""
    if decision.reason == FLAG_NOT_FOUND:
        return {
            "key": decision.flag,
            "errorCode": "FLAG_NOT_FOUND",
            "errorDetails": f"flag {decision.flag!r} does not exist",
        }
    metadata: dict[str, Any] = {"decision_id": decision.decision_id, "lotty_reason": decision.reason}
    if decision.experiment is not None:
        metadata["experiment"] = decision.experiment
        metadata["experiment_version"] = decision.experiment_version
    return {
        "key": decision.flag,
        "value": decision.value,
        "reason": REASON_BY_LOTTY_REASON.get(decision.reason, "DEFAULT"),
        "variant": decision.variant or "default",
        "metadata": metadata,
    }


def bulk_etag(issued: Sequence[IssuedDecision]) -> str:
    """An ETag over what the client sees, leaving out decision ids (new on every call)."""
    stable = [
        (
            i.flag,
            i.value,
            i.reason,
            i.variant,
            i.experiment,
            i.experiment_version,
        )
        for i in issued
    ]
    return '"' + hashlib.sha256(msgspec.json.encode(stable)).hexdigest()[:32] + '"'
