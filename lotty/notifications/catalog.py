"""Notification channels and rules (SPEC §6): storage, validation and CRUD, each change audited.

Channels hold secrets (tokens, header values), so only admins create or change them, and every
answer and audit entry shows them masked. Rules may be set by admins and experimenters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from lotty.auth import Principal, require_admin, require_editor, require_reader
from lotty.catalog.common import (
    NEWEST_BY_ID,
    NEWEST_BY_KEY,
    audit,
    check_key,
    from_json,
    naive,
    new_id,
    read_page,
    require_row,
    to_json,
    utc,
)
from lotty.errors import ConflictError, ValidationError
from lotty.model import Page
from lotty.notifications.formats import check_config, masked
from lotty.notifications.model import (
    Channel,
    ChannelPatch,
    ChannelSpec,
    Delivery,
    Rule,
    RulePatch,
    RuleSpec,
    Scope,
)
from lotty.store import Store, Tx

MAX_RATE_LIMIT = 10_000
MAX_DEDUP_MINUTES = 7 * 24 * 60
SCOPE_LOOKUPS = {  # scope kind → (statement that finds it, its parameter)
    "experiment": ("catalog/experiments/get", "key"),
    "flag": ("catalog/flags/get", "key"),
    "owner": ("catalog/users/get", "id"),
}
RULE_FIELDS = ("event", "channel", "scope", "rate_limit_per_hour", "dedup_minutes")


# -- channels ------------------------------------------------------------------------------------
def channel_from_row(row: dict[str, Any]) -> Channel:
    return Channel(
        key=row["key"],
        type=row["type"],
        config=masked(row["type"], from_json(row["config"])),
        created_by=row["created_by"],
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
    )


def _require_channel(tx: Tx, key: str) -> Channel:
    return channel_from_row(require_row(tx.fetch_one("notifications/get_channel", key=key), "channel", key))


def create_channel(store: Store, actor: Principal, spec: ChannelSpec, now: datetime) -> Channel:
    require_admin(actor, "create notification channels")
    check_key(spec.key)
    config = check_config(spec.type, spec.config)
    with store.transaction() as tx:
        if tx.fetch_one("notifications/get_channel", key=spec.key) is not None:
            raise ConflictError(f"channel {spec.key!r} already exists", code="DUPLICATE_KEY")
        tx.execute(
            "notifications/insert_channel",
            key=spec.key,
            type=spec.type,
            config=to_json(config),
            created_by=actor.user_id,
            now=naive(now),
        )
        created = _require_channel(tx, spec.key)
        audit(
            tx,
            actor=actor.user_id,
            entity="channel",
            entity_key=spec.key,
            action="create",
            now=now,
            after=created,
        )
    return created


def get_channel(store: Store, actor: Principal, key: str) -> Channel:
    require_reader(actor)
    with store.read() as tx:
        return _require_channel(tx, key)


def list_channels(store: Store, actor: Principal, limit: int | None, cursor: str | None) -> Page:
    require_reader(actor)
    return read_page(store, "notifications/list_channels", NEWEST_BY_KEY, limit, cursor, channel_from_row)


def update_channel(store: Store, actor: Principal, key: str, patch: ChannelPatch, now: datetime) -> Channel:
    """Replaces the configuration (the type is fixed: make another channel to change it)."""
    require_admin(actor, "change notification channels")
    with store.transaction() as tx:
        before = _require_channel(tx, key)
        config = check_config(before.type, patch.config)
        tx.execute("notifications/update_channel", key=key, config=to_json(config), now=naive(now))
        after = _require_channel(tx, key)
        audit(
            tx,
            actor=actor.user_id,
            entity="channel",
            entity_key=key,
            action="update",
            now=now,
            before=before,
            after=after,
        )
    return after


def delete_channel(store: Store, actor: Principal, key: str, now: datetime) -> None:
    require_admin(actor, "delete notification channels")
    with store.transaction() as tx:
        before = _require_channel(tx, key)
        rules = [row["id"] for row in tx.fetch_all("notifications/rules_using_channel", channel=key)]
        if rules:
            raise ConflictError(
                f"channel {key!r} is used by {len(rules)} rule(s); delete or move them first",
                code="CHANNEL_IN_USE",
                details={"rules": rules},
            )
        tx.execute("notifications/delete_channel", key=key)
        audit(
            tx, actor=actor.user_id, entity="channel", entity_key=key, action="delete", now=now, before=before
        )


# -- rules -------------------------------------------------------------------------------------------
def rule_from_row(row: dict[str, Any]) -> Rule:
    scope = None if row["scope_kind"] is None else {row["scope_kind"]: row["scope_key"]}
    return Rule(
        **{k: v for k, v in row.items() if k not in ("scope_kind", "scope_key", "created_at", "updated_at")},
        scope=scope,
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
    )


def _require_rule(tx: Tx, rule_id: str) -> Rule:
    return rule_from_row(require_row(tx.fetch_one("notifications/get_rule", id=rule_id), "rule", rule_id))


def _scope_columns(tx: Tx, scope: Scope | None) -> tuple[str | None, str | None]:
    """(kind, key) of a scope: exactly one of experiment, flag or owner, and it must exist."""
    if scope is None:
        return None, None
    given = {k: v for k, v in msgspec.structs.asdict(scope).items() if v is not msgspec.UNSET}
    if len(given) != 1:
        raise ValidationError(
            "scope names exactly one of experiment, flag or owner (or is null for every experiment)",
            field="scope",
        )
    ((kind, key),) = given.items()
    statement, parameter = SCOPE_LOOKUPS[kind]
    if tx.fetch_one(statement, **{parameter: key}) is None:
        what = "user" if kind == "owner" else kind
        raise ValidationError(f"scope.{kind}: {what} {key!r} does not exist", field=f"scope.{kind}")
    return kind, key


def _check_rule(tx: Tx, rule: dict[str, Any], exclude_id: str | None) -> dict[str, Any]:
    """The rule's columns, or a 400 naming the field / a 409 for a duplicate."""
    if tx.fetch_one("notifications/get_channel", key=rule["channel"]) is None:
        raise ValidationError(f"channel {rule['channel']!r} does not exist", field="channel")
    limit = rule["rate_limit_per_hour"]
    if limit is not None and not 1 <= limit <= MAX_RATE_LIMIT:
        raise ValidationError(
            f"rate_limit_per_hour must be between 1 and {MAX_RATE_LIMIT} (or null for no limit)",
            field="rate_limit_per_hour",
        )
    if not 0 <= rule["dedup_minutes"] <= MAX_DEDUP_MINUTES:
        raise ValidationError(
            f"dedup_minutes must be between 0 and {MAX_DEDUP_MINUTES}", field="dedup_minutes"
        )
    kind, key = _scope_columns(tx, rule["scope"])
    columns = {
        "event": rule["event"],
        "scope_kind": kind,
        "scope_key": key,
        "channel": rule["channel"],
        "rate_limit_per_hour": limit,
        "dedup_minutes": rule["dedup_minutes"],
    }
    duplicate = tx.fetch_one(
        "notifications/find_duplicate_rule",
        exclude_id=exclude_id,
        **{k: columns[k] for k in ("event", "scope_kind", "scope_key", "channel")},
    )
    if duplicate is not None:
        raise ConflictError(
            "a rule already sends this event with this scope to this channel",
            code="DUPLICATE_RULE",
            details={"rule": duplicate["id"]},
        )
    return columns


def create_rule(store: Store, actor: Principal, spec: RuleSpec, now: datetime) -> Rule:
    require_editor(actor, "create notification rules")
    with store.transaction() as tx:
        columns = _check_rule(tx, {f: getattr(spec, f) for f in RULE_FIELDS}, None)
        rule_id = new_id("ntr")
        tx.execute(
            "notifications/insert_rule", id=rule_id, created_by=actor.user_id, now=naive(now), **columns
        )
        created = _require_rule(tx, rule_id)
        audit(
            tx,
            actor=actor.user_id,
            entity="rule",
            entity_key=rule_id,
            action="create",
            now=now,
            after=created,
        )
    return created


def get_rule(store: Store, actor: Principal, rule_id: str) -> Rule:
    require_reader(actor)
    with store.read() as tx:
        return _require_rule(tx, rule_id)


def list_rules(store: Store, actor: Principal, limit: int | None, cursor: str | None) -> Page:
    require_reader(actor)
    return read_page(store, "notifications/list_rules", NEWEST_BY_ID, limit, cursor, rule_from_row)


def update_rule(store: Store, actor: Principal, rule_id: str, patch: RulePatch, now: datetime) -> Rule:
    require_editor(actor, "change notification rules")
    with store.transaction() as tx:
        before = _require_rule(tx, rule_id)
        current: dict[str, Any] = {f: getattr(before, f) for f in RULE_FIELDS}
        current["scope"] = None if before.scope is None else Scope(**before.scope)
        changes = {f: getattr(patch, f) for f in RULE_FIELDS if getattr(patch, f) is not msgspec.UNSET}
        columns = _check_rule(tx, {**current, **changes}, rule_id)
        tx.execute("notifications/update_rule", id=rule_id, now=naive(now), **columns)
        after = _require_rule(tx, rule_id)
        audit(
            tx,
            actor=actor.user_id,
            entity="rule",
            entity_key=rule_id,
            action="update",
            now=now,
            before=before,
            after=after,
        )
    return after


def delete_rule(store: Store, actor: Principal, rule_id: str, now: datetime) -> None:
    require_editor(actor, "delete notification rules")
    with store.transaction() as tx:
        before = _require_rule(tx, rule_id)
        tx.execute("notifications/delete_rule", id=rule_id)
        audit(
            tx,
            actor=actor.user_id,
            entity="rule",
            entity_key=rule_id,
            action="delete",
            now=now,
            before=before,
        )


# -- the delivery log ------------------------------------------------------------------------------
def delivery_from_row(row: dict[str, Any]) -> Delivery:
    times = ("next_attempt_at", "created_at", "updated_at", "sent_at")
    return Delivery(
        **{k: utc(v) if k in times else v for k, v in row.items() if k != "payload"},
        payload=from_json(row["payload"]),
    )


def list_deliveries(
    store: Store,
    actor: Principal,
    limit: int | None,
    cursor: str | None,
    *,
    status: str | None = None,
    event: str | None = None,
    channel: str | None = None,
    rule: str | None = None,
    experiment: str | None = None,
) -> Page:
    """Deliveries newest first; each filter narrows (the enums are checked by the route)."""
    require_reader(actor)
    return read_page(
        store,
        "notifications/list_deliveries",
        NEWEST_BY_ID,
        limit,
        cursor,
        delivery_from_row,
        status=status,
        event=event,
        channel=channel,
        rule=rule,
        experiment=experiment,
    )
