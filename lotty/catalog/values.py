"""Values of a flag's type: the check shared by flag defaults and experiment variants."""

from __future__ import annotations

import math
from typing import Any

import msgspec

from lotty.errors import ValidationError

MAX_VALUE_BYTES = 64 * 1024


def check_value(flag_type: str, value: Any, field: str) -> Any:
    """`value` if it is a value of `flag_type`, else a ValidationError naming `field`."""
    ok = {
        "string": isinstance(value, str),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "json": True,
    }[flag_type]
    if not ok or value is msgspec.UNSET:
        raise ValidationError(
            f"{field} must be a {flag_type} (the flag's type), got {_describe(value)}",
            field=field,
            details={"expected_type": flag_type},
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"{field} must be a finite number", field=field)
    if len(msgspec.json.encode(value)) > MAX_VALUE_BYTES:
        raise ValidationError(f"{field} is larger than {MAX_VALUE_BYTES} bytes of JSON", field=field)
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
