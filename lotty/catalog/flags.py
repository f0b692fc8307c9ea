"""Flags (SPEC §2.1): a key, a type that never changes, and a default of that type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from lotty.auth import Principal, require_editor, require_reader
from lotty.catalog.common import (
    NEWEST_BY_KEY,
    audit,
    check_key,
    check_text,
    from_json,
    naive,
    read_page,
    require_row,
    to_json,
    utc,
)
from lotty.catalog.values import check_value
from lotty.errors import ConflictError, ValidationError
from lotty.model import Flag, FlagPatch, FlagSpec, Page
from lotty.store import Store, Tx


def flag_from_row(row: dict[str, Any]) -> Flag:
    return Flag(
        key=row["key"],
        type=row["type"],
        default=from_json(row["default_value"]),
        description=row["description"],
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
    )


def require_flag(tx: Tx, key: str) -> Flag:
    return flag_from_row(require_row(tx.fetch_one("catalog/flags/get", key=key), "flag", key))


def _check_default(flag_type: str, value: Any) -> Any:
    """A value of the flag's type that is not null: null is what decide answers for an unknown flag."""
    if value is None:
        raise ValidationError(
            f"default must be a {flag_type} (the flag's type), got null",
            field="default",
            details={"expected_type": flag_type},
        )
    return check_value(flag_type, value, "default")


def create_flag(store: Store, actor: Principal, spec: FlagSpec, now: datetime) -> Flag:
    require_editor(actor, "create flags")
    check_key(spec.key)
    _check_default(spec.type, spec.default)
    description = check_text(spec.description, "description")
    with store.transaction() as tx:
        if tx.fetch_one("catalog/flags/get", key=spec.key) is not None:
            raise ConflictError(
                f"flag {spec.key!r} already exists", code="DUPLICATE_KEY", details={"key": spec.key}
            )
        tx.execute(
            "catalog/flags/insert",
            key=spec.key,
            type=spec.type,
            default_value=to_json(spec.default),
            description=description,
            now=naive(now),
        )
        flag = require_flag(tx, spec.key)
        audit(
            tx, actor=actor.user_id, entity="flag", entity_key=flag.key, action="create", now=now, after=flag
        )
    return flag


def get_flag(store: Store, actor: Principal, key: str) -> Flag:
    require_reader(actor)
    with store.read() as tx:
        return require_flag(tx, key)


def list_flags(store: Store, actor: Principal, limit: int | None, cursor: str | None) -> Page:
    require_reader(actor)
    return read_page(store, "catalog/flags/list_page", NEWEST_BY_KEY, limit, cursor, flag_from_row)


def update_flag(
    store: Store, actor: Principal, key: str, patch: FlagPatch, now: datetime, *, comment: str | None = None
) -> Flag:
    require_editor(actor, "change flags")
    with store.transaction() as tx:
        before = require_flag(tx, key)
        default = (
            before.default if patch.default is msgspec.UNSET else _check_default(before.type, patch.default)
        )
        description = (
            before.description
            if patch.description is msgspec.UNSET
            else check_text(patch.description, "description")
        )
        tx.execute(
            "catalog/flags/update",
            key=key,
            default_value=to_json(default),
            description=description,
            now=naive(now),
        )
        after = require_flag(tx, key)
        audit(
            tx,
            actor=actor.user_id,
            entity="flag",
            entity_key=key,
            action="update",
            now=now,
            before=before,
            after=after,
            comment=comment,
        )
    return after
