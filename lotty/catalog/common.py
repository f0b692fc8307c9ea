"""Helpers every catalog service shares: ids, key rules, JSON columns, times, cursors, audit."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

import msgspec

from lotty.errors import NotFoundError, ValidationError
from lotty.model import Page
from lotty.store import Store, Tx

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{1,127}$")
NAME_LIMIT = 200
TEXT_LIMIT = 10_000
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def check_key(value: str, field: str = "key") -> str:
    if not KEY_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{field} must match ^[a-z][a-z0-9_.-]{{1,127}}$ (lowercase letter first, then 1-127 of "
            f"a-z 0-9 _ . -), got {value!r}",
            field=field,
        )
    return value


def check_text(value: str, field: str, *, limit: int = TEXT_LIMIT, required: bool = False) -> str:
    if required and not value.strip():
        raise ValidationError(f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise ValidationError(f"{field} is longer than {limit} characters", field=field)
    return value


def to_json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def from_json(text: str | None) -> Any:
    return None if text is None else msgspec.json.decode(text)


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """Stored timestamps are naive UTC; everything leaving the store is zone-aware UTC."""
    return None if value is None else value.replace(tzinfo=UTC)


def naive(value: datetime) -> datetime:
    """A zone-aware time as the naive UTC value the store keeps."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


# -- pagination ---------------------------------------------------------------------------------
def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def encode_cursor(*position: Any) -> str:
    raw = msgspec.json.encode([p.isoformat() if isinstance(p, datetime) else p for p in position])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *kinds: type) -> tuple[Any, ...]:
    """The position a cursor points after, as values of `kinds` (datetime, str, int); all None when absent."""
    if cursor is None:
        return (None,) * len(kinds)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = msgspec.json.decode(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("shape")
        decoded: list[Any] = []
        for value, kind in zip(values, kinds, strict=True):
            if kind is datetime:
                decoded.append(datetime.fromisoformat(value))
            elif not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError("type")
            else:
                decoded.append(value)
        return tuple(decoded)
    except (ValueError, TypeError, binascii.Error, msgspec.DecodeError):
        raise ValidationError("cursor is not one this server issued", field="cursor") from None


@dataclass(frozen=True, slots=True)
class Keyset:
    """How a list pages: the row columns that order it, the SQL parameters the cursor binds to."""

    columns: tuple[str, ...]
    params: tuple[str, ...]
    kinds: tuple[type, ...]


NEWEST_BY_KEY = Keyset(("created_at", "key"), ("after_created", "after_key"), (datetime, str))
NEWEST_BY_ID = Keyset(("created_at", "id"), ("after_created", "after_id"), (datetime, str))
NEWEST_BY_SEQUENCE = Keyset(("id",), ("before_id",), (int,))
BY_VERSION = Keyset(("version",), ("before_version",), (int,))


def read_page(
    store: Store,
    statement: str,
    keyset: Keyset,
    limit: int | None,
    cursor: str | None,
    convert: Callable[[dict[str, Any]], Any],
    *,
    check: Callable[[Tx], Any] | None = None,
    **params: Any,
) -> Page[Any]:
    """One page of `statement` (which takes `limit` and the keyset's parameters), newest first.

    `check` runs first in the same read (e.g. the parent experiment must exist: 404 otherwise).
    """
    size = check_limit(limit)
    position = decode_cursor(cursor, *keyset.kinds)
    bound = {
        name: naive(v) if isinstance(v, datetime) else v
        for name, v in zip(keyset.params, position, strict=True)
    }
    with store.read() as tx:
        if check is not None:
            check(tx)
        rows = tx.fetch_all(statement, limit=size + 1, **bound, **params)
    rows, next_cursor = page_of(rows, size, lambda row: tuple(row[c] for c in keyset.columns))
    return Page(items=[convert(row) for row in rows], next_cursor=next_cursor)


def page_of(rows: list[Any], limit: int, position: Any) -> tuple[list[Any], str | None]:
    """Trim a `limit + 1` fetch to a page and the cursor of its last row (None on the last page)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(*position(rows[-1]))


# -- audit --------------------------------------------------------------------------------------
def audit(
    tx: Tx,
    *,
    actor: str,
    entity: str,
    entity_key: str,
    action: str,
    now: datetime,
    before: Any = None,
    after: Any = None,
    comment: str | None = None,
) -> None:
    """Append one audit entry inside the caller's transaction (so it commits with the change)."""
    tx.execute(
        "catalog/audit/insert",
        at=naive(now),
        actor=actor,
        entity=entity,
        entity_key=entity_key,
        action=action,
        before=None if before is None else to_json(before),
        after=None if after is None else to_json(after),
        comment=comment,
    )


def require_row(row: dict[str, Any] | None, what: str, key: str) -> dict[str, Any]:
    if row is None:
        raise NotFoundError(f"{what} {key!r} does not exist", details={"entity": what, "key": key})
    return row
