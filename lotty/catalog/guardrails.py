"""Guardrail rules (SPEC §2.5): storage and CRUD. Evaluation is a separate module."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import msgspec

from lotty.auth import Principal, require_reader
from lotty.catalog.common import (
    NEWEST_BY_ID,
    audit,
    naive,
    new_id,
    read_page,
    require_row,
    utc,
)
from lotty.catalog.experiments import require_experiment, require_owner
from lotty.errors import ConflictError, ValidationError
from lotty.model import Experiment, Guardrail, GuardrailPatch, GuardrailSpec, Page
from lotty.store import Store, Tx

RULE_FIELDS = ("metric", "operator", "threshold", "window_minutes", "action", "min_samples")
MAX_WINDOW_MINUTES = 30 * 24 * 60
FROZEN_STATUSES = ("completed", "archived")


def guardrail_from_row(row: dict[str, Any]) -> Guardrail:
    return Guardrail(**{**row, "created_at": utc(row["created_at"]), "updated_at": utc(row["updated_at"])})


def _audit_key(experiment: str, guardrail_id: str) -> str:
    return f"{experiment}/{guardrail_id}"


def _check_rule(tx: Tx, experiment: str, rule: dict[str, Any], exclude_id: str | None) -> None:
    row = tx.fetch_one("catalog/metrics/get", key=rule["metric"])
    if row is None:
        raise ValidationError(f"metric {rule['metric']!r} does not exist", field="metric")
    if row["archived"]:
        raise ValidationError(f"metric {rule['metric']!r} is archived", field="metric")
    if not math.isfinite(rule["threshold"]):
        raise ValidationError("threshold must be a finite number", field="threshold")
    if not 1 <= rule["window_minutes"] <= MAX_WINDOW_MINUTES:
        raise ValidationError(
            f"window_minutes must be between 1 and {MAX_WINDOW_MINUTES}", field="window_minutes"
        )
    if rule["min_samples"] < 0:
        raise ValidationError("min_samples must be zero or more", field="min_samples")
    duplicate = tx.fetch_one(
        "catalog/guardrails/find_duplicate",
        experiment=experiment,
        exclude_id=exclude_id,
        **{f: rule[f] for f in RULE_FIELDS if f != "min_samples"},
    )
    if duplicate is not None:
        raise ConflictError(
            "the experiment already has this guardrail rule",
            code="DUPLICATE_GUARDRAIL",
            details={"guardrail": duplicate["id"]},
        )


def _require_changeable(experiment: Experiment, action: str, *, running_ok: bool) -> None:
    frozen = FROZEN_STATUSES if running_ok else (*FROZEN_STATUSES, "running")
    if experiment.status in frozen:
        raise ConflictError(
            f"cannot {action} a guardrail while experiment {experiment.key!r} is {experiment.status}",
            code="GUARDRAILS_LOCKED",
            details={"status": experiment.status},
        )


def create_guardrail(
    store: Store, actor: Principal, key: str, spec: GuardrailSpec, now: datetime
) -> Guardrail:
    with store.transaction() as tx:
        experiment = require_experiment(tx, key)
        require_owner(actor, experiment, "add guardrails")
        # Adding protection to a running experiment is allowed; weakening it (edit, delete) is not.
        _require_changeable(experiment, "add", running_ok=True)
        rule = msgspec.structs.asdict(spec)
        _check_rule(tx, key, rule, None)
        guardrail_id = new_id("grd")
        tx.execute("catalog/guardrails/insert", id=guardrail_id, experiment=key, now=naive(now), **rule)
        created = guardrail_from_row(
            require_row(
                tx.fetch_one("catalog/guardrails/get", id=guardrail_id, experiment=key),
                "guardrail",
                guardrail_id,
            )
        )
        audit(
            tx,
            actor=actor.user_id,
            entity="guardrail",
            entity_key=_audit_key(key, guardrail_id),
            action="create",
            now=now,
            after=created,
        )
    return created


def _require_guardrail(tx: Tx, key: str, guardrail_id: str) -> Guardrail:
    return guardrail_from_row(
        require_row(
            tx.fetch_one("catalog/guardrails/get", id=guardrail_id, experiment=key), "guardrail", guardrail_id
        )
    )


def get_guardrail(store: Store, actor: Principal, key: str, guardrail_id: str) -> Guardrail:
    require_reader(actor)
    with store.read() as tx:
        require_experiment(tx, key)
        return _require_guardrail(tx, key, guardrail_id)


def list_guardrails(store: Store, actor: Principal, key: str, limit: int | None, cursor: str | None) -> Page:
    require_reader(actor)
    return read_page(
        store,
        "catalog/guardrails/list_for_experiment",
        NEWEST_BY_ID,
        limit,
        cursor,
        guardrail_from_row,
        check=lambda tx: require_experiment(tx, key),
        experiment=key,
    )


def update_guardrail(
    store: Store, actor: Principal, key: str, guardrail_id: str, patch: GuardrailPatch, now: datetime
) -> Guardrail:
    with store.transaction() as tx:
        experiment = require_experiment(tx, key)
        require_owner(actor, experiment, "change guardrails")
        before = _require_guardrail(tx, key, guardrail_id)
        _require_changeable(experiment, "change", running_ok=False)
        rule = {
            f: getattr(before, f) if getattr(patch, f) is msgspec.UNSET else getattr(patch, f)
            for f in RULE_FIELDS
        }
        _check_rule(tx, key, rule, guardrail_id)
        tx.execute("catalog/guardrails/update", id=guardrail_id, now=naive(now), **rule)
        after = _require_guardrail(tx, key, guardrail_id)
        audit(
            tx,
            actor=actor.user_id,
            entity="guardrail",
            entity_key=_audit_key(key, guardrail_id),
            action="update",
            now=now,
            before=before,
            after=after,
        )
    return after


def delete_guardrail(store: Store, actor: Principal, key: str, guardrail_id: str, now: datetime) -> None:
    with store.transaction() as tx:
        experiment = require_experiment(tx, key)
        require_owner(actor, experiment, "delete guardrails")
        before = _require_guardrail(tx, key, guardrail_id)
        _require_changeable(experiment, "delete", running_ok=False)
        tx.execute("catalog/guardrails/delete", id=guardrail_id)
        audit(
            tx,
            actor=actor.user_id,
            entity="guardrail",
            entity_key=_audit_key(key, guardrail_id),
            action="delete",
            now=now,
            before=before,
        )
