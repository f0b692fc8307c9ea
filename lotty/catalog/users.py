"""Users, their API keys and their approver groups (SPEC §2.0, §2.4 reviews)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from lotty.auth import (
    READER_ROLES,
    Principal,
    hash_key,
    new_api_key,
    require_admin,
    require_reader,
    require_role,
)
from lotty.catalog.common import (
    NAME_LIMIT,
    NEWEST_BY_ID,
    audit,
    check_text,
    naive,
    new_id,
    read_page,
    require_row,
    utc,
)
from lotty.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from lotty.model import (
    ApiKeyInfo,
    ApproverGroup,
    ApproverGroupSpec,
    CreatedKey,
    CreatedUser,
    Page,
    User,
    UserPatch,
    UserSpec,
)
from lotty.store import Store, Tx


def _user(row: dict[str, Any], keys: list[dict[str, Any]] | None = None) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
        keys=[
            ApiKeyInfo(id=k["id"], created_at=utc(k["created_at"]), revoked_at=utc(k["revoked_at"]))
            for k in keys or []
        ],
    )


def _insert_user(tx: Tx, name: str, role: str, api_key: str, now: datetime) -> tuple[str, str]:
    user_id, key_id = new_id("usr"), new_id("key")
    tx.execute("catalog/users/insert", id=user_id, name=name, role=role, now=naive(now))
    tx.execute("catalog/keys/insert", id=key_id, user_id=user_id, key_hash=hash_key(api_key), now=naive(now))
    return user_id, key_id


def create_user(store: Store, actor: Principal, spec: UserSpec, now: datetime) -> CreatedUser:
    require_admin(actor, "create users")
    name = check_text(spec.name, "name", limit=NAME_LIMIT, required=True)
    api_key = new_api_key()
    with store.transaction() as tx:
        user_id, key_id = _insert_user(tx, name, spec.role, api_key, now)
        audit(
            tx,
            actor=actor.user_id,
            entity="user",
            entity_key=user_id,
            action="create",
            now=now,
            after={"id": user_id, "name": name, "role": spec.role, "key_id": key_id},
        )
    return CreatedUser(id=user_id, name=name, role=spec.role, api_key=api_key, key_id=key_id, created_at=now)


def bootstrap_admin(store: Store, api_key: str, now: datetime) -> str | None:
    """First admin for `lotty init`; None (and no change) when any admin already exists."""
    with store.transaction() as tx:
        if tx.fetch_value("catalog/users/count_role", role="admin"):
            return None
        if tx.fetch_one("catalog/keys/find_by_hash", key_hash=hash_key(api_key)) is not None:
            return None
        user_id, key_id = _insert_user(tx, "admin", "admin", api_key, now)
        audit(
            tx,
            actor="system",
            entity="user",
            entity_key=user_id,
            action="create",
            now=now,
            after={"id": user_id, "name": "admin", "role": "admin", "key_id": key_id},
            comment="lotty init",
        )
    return user_id


def list_users(store: Store, actor: Principal, limit: int | None, cursor: str | None) -> Page:
    require_reader(actor)
    return read_page(store, "catalog/users/list_page", NEWEST_BY_ID, limit, cursor, _user)


def _require_user(tx: Tx, user_id: str) -> dict[str, Any]:
    return require_row(tx.fetch_one("catalog/users/get", id=user_id), "user", user_id)


def get_user(store: Store, actor: Principal, user_id: str) -> User:
    require_reader(actor)  # every role but sdk; sdk keys call only the runtime (SPEC §2.0), not even for self
    with store.read() as tx:
        row = _require_user(tx, user_id)
        return _user(row, tx.fetch_all("catalog/keys/list_for_user", user_id=user_id))


def update_user(store: Store, actor: Principal, user_id: str, patch: UserPatch, now: datetime) -> User:
    require_admin(actor, "change users")
    with store.transaction() as tx:
        before = _require_user(tx, user_id)
        name = (
            before["name"]
            if patch.name is msgspec.UNSET
            else check_text(patch.name, "name", limit=NAME_LIMIT, required=True)
        )
        role = before["role"] if patch.role is msgspec.UNSET else patch.role
        if (
            before["role"] == "admin"
            and role != "admin"
            and tx.fetch_value("catalog/users/count_role", role="admin") <= 1
        ):
            raise ConflictError("cannot change the role of the last admin", code="LAST_ADMIN")
        tx.execute("catalog/users/update", id=user_id, name=name, role=role, now=naive(now))
        audit(
            tx,
            actor=actor.user_id,
            entity="user",
            entity_key=user_id,
            action="update",
            now=now,
            before={"name": before["name"], "role": before["role"]},
            after={"name": name, "role": role},
        )
        return _user(_require_user(tx, user_id), tx.fetch_all("catalog/keys/list_for_user", user_id=user_id))


def _require_self_or_admin(actor: Principal, user_id: str, action: str) -> None:
    # sdk keys call only the runtime (SPEC §2.0), so they manage no keys, not even their own
    require_role(actor, READER_ROLES, action)
    if actor.user_id != user_id and not actor.is_admin:
        raise ForbiddenError(
            f"only an admin or the user themselves may {action}", details={"role": actor.role}
        )


def create_key(store: Store, actor: Principal, user_id: str, now: datetime) -> CreatedKey:
    _require_self_or_admin(actor, user_id, "create keys")
    api_key, key_id = new_api_key(), new_id("key")
    with store.transaction() as tx:
        _require_user(tx, user_id)
        tx.execute(
            "catalog/keys/insert", id=key_id, user_id=user_id, key_hash=hash_key(api_key), now=naive(now)
        )
        audit(
            tx,
            actor=actor.user_id,
            entity="api_key",
            entity_key=key_id,
            action="create",
            now=now,
            after={"id": key_id, "user_id": user_id},
        )
    return CreatedKey(id=key_id, user_id=user_id, api_key=api_key, created_at=now)


def revoke_key(store: Store, actor: Principal, user_id: str, key_id: str, now: datetime) -> None:
    _require_self_or_admin(actor, user_id, "revoke keys")
    with store.transaction() as tx:
        _require_user(tx, user_id)
        key = tx.fetch_one("catalog/keys/get", id=key_id, user_id=user_id)
        if key is None:
            raise NotFoundError(f"user {user_id!r} has no key {key_id!r}", details={"key_id": key_id})
        if key["revoked_at"] is not None:
            return
        tx.execute("catalog/keys/revoke", id=key_id, now=naive(now))
        audit(
            tx,
            actor=actor.user_id,
            entity="api_key",
            entity_key=key_id,
            action="revoke",
            now=now,
            before={"id": key_id, "user_id": user_id},
        )


def _group(row: dict[str, Any]) -> ApproverGroup:
    return ApproverGroup(
        user_id=row["user_id"],
        approvers=list(row["approvers"]),
        min_approvals=row["min_approvals"],
        updated_at=utc(row["updated_at"]),
    )


def approver_group(tx: Tx, user_id: str) -> ApproverGroup | None:
    row = tx.fetch_one("catalog/approver_groups/get", user_id=user_id)
    return None if row is None else _group(row)


def get_approver_group(store: Store, actor: Principal, user_id: str) -> ApproverGroup:
    require_reader(actor)
    with store.read() as tx:
        _require_user(tx, user_id)
        group = approver_group(tx, user_id)
    if group is None:
        raise NotFoundError(
            f"user {user_id!r} has no approver group (any admin or approver may approve)",
            details={"user_id": user_id},
        )
    return group


def set_approver_group(
    store: Store, actor: Principal, user_id: str, spec: ApproverGroupSpec, now: datetime
) -> ApproverGroup:
    require_admin(actor, "set approver groups")
    approvers = list(dict.fromkeys(spec.approvers))
    if len(approvers) != len(spec.approvers):
        raise ValidationError("approvers must not repeat a user", field="approvers")
    if not approvers:
        raise ValidationError("approvers must name at least one user", field="approvers")
    if user_id in approvers:
        raise ValidationError(
            "a user cannot approve their own experiments, so cannot be in their own group", field="approvers"
        )
    if not 1 <= spec.min_approvals <= len(approvers):
        raise ValidationError(
            f"min_approvals must be between 1 and the number of approvers ({len(approvers)})",
            field="min_approvals",
        )
    with store.transaction() as tx:
        _require_user(tx, user_id)
        for approver in approvers:
            row = tx.fetch_one("catalog/users/get", id=approver)
            if row is None:
                raise ValidationError(f"approver {approver!r} is not a user", field="approvers")
            if row["role"] not in ("approver", "admin"):
                raise ValidationError(
                    f"approver {approver!r} has role {row['role']!r}; only approvers and admins review",
                    field="approvers",
                )
        before = approver_group(tx, user_id)
        tx.execute(
            "catalog/approver_groups/upsert",
            user_id=user_id,
            approvers=approvers,
            min_approvals=spec.min_approvals,
            now=naive(now),
        )
        group = _group(
            require_row(
                tx.fetch_one("catalog/approver_groups/get", user_id=user_id), "approver group", user_id
            )
        )
        audit(
            tx,
            actor=actor.user_id,
            entity="approver_group",
            entity_key=user_id,
            action="set",
            now=now,
            before=before,
            after=group,
        )
    return group


def active_key_rows(store: Store) -> list[tuple[bytes, str, str, str]]:
    with store.read() as tx:
        rows = tx.fetch_all("catalog/keys/active")
    return [(r["key_hash"], r["id"], r["user_id"], r["role"]) for r in rows]
