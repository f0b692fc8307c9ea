"""Checks on a decide request that msgspec's types cannot express (SPEC §3 bad input)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lotty.errors import ValidationError

MAX_FLAGS = 100
MAX_SUBJECT_ID = 256
MAX_ATTRIBUTES = 200
SCALARS = (str, int, float, bool, type(None))


def check_decide_input(subject_id: str, attributes: Mapping[str, Any], flags: Sequence[str] | None) -> None:
    if not isinstance(subject_id, str) or not subject_id.strip():
        raise ValidationError("subject_id is required and must be a non-empty string", field="subject_id")
    if len(subject_id) > MAX_SUBJECT_ID:
        raise ValidationError(f"subject_id is longer than {MAX_SUBJECT_ID} characters", field="subject_id")
    if flags is not None and len(flags) > MAX_FLAGS:
        raise ValidationError(f"at most {MAX_FLAGS} flags per call, got {len(flags)}", field="flags")
    if len(attributes) > MAX_ATTRIBUTES:
        raise ValidationError(f"at most {MAX_ATTRIBUTES} attributes", field="attributes")
    for name, value in attributes.items():
        if isinstance(value, list):
            if not all(isinstance(item, SCALARS) for item in value):
                raise ValidationError(
                    f"attribute {name!r} must be a scalar or a list of scalars", field=f"attributes.{name}"
                )
        elif not isinstance(value, SCALARS):
            raise ValidationError(
                f"attribute {name!r} must be a scalar or a list of scalars", field=f"attributes.{name}"
            )
