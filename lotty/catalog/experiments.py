"""Experiments (SPEC §2.4): definitions with every version kept. Lifecycle lives in `lifecycle.py`."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from lotty.auth import EDITOR_ROLES, Principal, require_editor, require_reader
from lotty.bucketing import to_basis_points
from lotty.catalog.common import (
    BY_VERSION,
    NAME_LIMIT,
    NEWEST_BY_KEY,
    TEXT_LIMIT,
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
from lotty.catalog.flags import require_flag
from lotty.catalog.values import check_value
from lotty.errors import ConflictError, ForbiddenError, ValidationError
from lotty.model import (
    Experiment,
    ExperimentPatch,
    ExperimentSpec,
    ExperimentVersion,
    Outcome,
    Page,
    Variant,
)
from lotty.store import Store, Tx
from lotty.targeting import compile_rule

VARIANT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DOMAIN_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_VARIANTS = 20
MAX_METRICS = 50
MAX_DOMAINS = 20
EDITABLE_STATUSES = ("draft", "rejected")
# The fields of a version: what PATCH may change, and what a new version copies forward.
VERSION_FIELDS = (
    "name",
    "hypothesis",
    "traffic",
    "variants",
    "targeting",
    "primary_metric",
    "metrics",
    "domains",
    "priority",
)


def _variants(raw: list[dict[str, Any]] | None) -> list[Variant]:
    return [
        Variant(name=v["name"], value=from_json(v["value"]), weight=float(v["weight"]), control=v["control"])
        for v in raw or []
    ]


def experiment_from_row(row: dict[str, Any]) -> Experiment:
    outcome = from_json(row["outcome"])
    return Experiment(
        key=row["key"],
        flag=row["flag"],
        name=row["name"],
        hypothesis=row["hypothesis"],
        status=row["status"],
        version=row["version"],
        traffic=float(row["traffic"]),
        variants=_variants(row["variants"]),
        targeting=row["targeting"],
        primary_metric=row["primary_metric"],
        metrics=list(row["metrics"]),
        domains=list(row["domains"]),
        priority=row["priority"],
        owner=row["owner"],
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
        started_at=utc(row["started_at"]),
        ended_at=utc(row["ended_at"]),
        outcome=None if outcome is None else msgspec.convert(outcome, Outcome),
    )


def require_experiment(tx: Tx, key: str) -> Experiment:
    return experiment_from_row(
        require_row(tx.fetch_one("catalog/experiments/get", key=key), "experiment", key)
    )


def require_owner(actor: Principal, experiment: Experiment, action: str) -> None:
    """Owners (while they may still edit) and admins act on an experiment; nobody else."""
    if actor.is_admin:
        return
    if actor.user_id != experiment.owner or actor.role not in EDITOR_ROLES:
        raise ForbiddenError(
            f"only the owner of experiment {experiment.key!r} or an admin may {action}",
            details={"owner": experiment.owner, "role": actor.role},
        )


# -- validation ---------------------------------------------------------------------------------
def _percent(value: float, field: str) -> Decimal:
    try:
        basis_points = to_basis_points(value)
    except ValueError:
        raise ValidationError(
            f"{field} must be a percent above 0 and at most 100 with at most 2 decimals, got {value!r}",
            field=field,
        ) from None
    return Decimal(basis_points) / 100


def _check_definition(tx: Tx, flag_type: str, d: dict[str, Any]) -> dict[str, Any]:
    """Validates a whole definition (create, or PATCH merged onto the current version)."""
    d["name"] = check_text(d["name"], "name", limit=NAME_LIMIT, required=True)
    d["hypothesis"] = check_text(d["hypothesis"], "hypothesis", limit=TEXT_LIMIT)
    traffic = _percent(d["traffic"], "traffic")
    variants: list[Variant] = d["variants"]
    if not 2 <= len(variants) <= MAX_VARIANTS:
        raise ValidationError(f"an experiment needs between 2 and {MAX_VARIANTS} variants", field="variants")
    names = [v.name for v in variants]
    for i, variant in enumerate(variants):
        if not VARIANT_NAME.fullmatch(variant.name):
            raise ValidationError(
                f"variant name {variant.name!r} must match ^[A-Za-z0-9_-]{{1,64}}$",
                field=f"variants[{i}].name",
            )
        check_value(flag_type, variant.value, f"variants[{i}].value")
    if len(set(names)) != len(names):
        raise ValidationError(
            "variant names must be unique",
            field="variants",
            details={"duplicates": sorted({n for n in names if names.count(n) > 1})},
        )
    controls = [v.name for v in variants if v.control]
    if len(controls) != 1:
        raise ValidationError(
            f"exactly one variant must be the control, found {len(controls)}",
            field="variants",
            details={"controls": controls},
        )
    weights = [_percent(v.weight, f"variants[{i}].weight") for i, v in enumerate(variants)]
    if sum(weights) != traffic:
        raise ValidationError(
            f"variant weights must sum exactly to traffic ({traffic}), they sum to {sum(weights)}",
            field="variants",
            details={"traffic": float(traffic), "sum_of_weights": float(sum(weights))},
        )
    if d["targeting"] is not None:
        if not d["targeting"].strip():
            d["targeting"] = None
        else:
            compile_rule(d["targeting"])  # raises TargetingError with the column and what was expected
    metrics = list(d["metrics"])
    if d["primary_metric"] is not None and d["primary_metric"] not in metrics:
        if metrics:
            raise ValidationError("primary_metric must be one of metrics", field="primary_metric")
        metrics = [d["primary_metric"]]
    if len(set(metrics)) != len(metrics) or len(metrics) > MAX_METRICS:
        raise ValidationError(f"metrics must be unique, at most {MAX_METRICS}", field="metrics")
    for key in metrics:
        field = "primary_metric" if key == d["primary_metric"] else "metrics"
        row = tx.fetch_one("catalog/metrics/get", key=key)
        if row is None:
            raise ValidationError(f"metric {key!r} does not exist", field=field)
        if row["archived"]:
            raise ValidationError(f"metric {key!r} is archived", field=field)
    d["metrics"] = metrics
    domains = list(d["domains"])
    if len(set(domains)) != len(domains) or len(domains) > MAX_DOMAINS:
        raise ValidationError(f"domains must be unique, at most {MAX_DOMAINS}", field="domains")
    for domain in domains:
        if not DOMAIN_NAME.fullmatch(domain):
            raise ValidationError(
                f"domain {domain!r} must match ^[a-z0-9][a-z0-9_.-]{{0,63}}$", field="domains"
            )
    if not -1_000_000 <= d["priority"] <= 1_000_000:
        raise ValidationError("priority must be between -1000000 and 1000000", field="priority")
    d["traffic"] = traffic
    d["weights"] = weights
    return d


def _write_version(
    tx: Tx, key: str, version: int, d: dict[str, Any], actor: Principal, now: datetime
) -> None:
    tx.execute(
        "catalog/experiments/insert_version",
        experiment=key,
        version=version,
        name=d["name"],
        hypothesis=d["hypothesis"],
        traffic=d["traffic"],
        targeting=d["targeting"],
        primary_metric=d["primary_metric"],
        metrics=d["metrics"],
        domains=d["domains"],
        priority=d["priority"],
        created_by=actor.user_id,
        now=naive(now),
    )
    for position, (variant, weight) in enumerate(zip(d["variants"], d["weights"], strict=True)):
        tx.execute(
            "catalog/experiments/insert_variant",
            experiment=key,
            version=version,
            position=position,
            name=variant.name,
            value=to_json(variant.value),
            weight=weight,
            control=variant.control,
        )


# -- services -----------------------------------------------------------------------------------
def create_experiment(store: Store, actor: Principal, spec: ExperimentSpec, now: datetime) -> Experiment:
    require_editor(actor, "create experiments")
    check_key(spec.key)
    with store.transaction() as tx:
        if tx.fetch_one("catalog/experiments/get", key=spec.key) is not None:
            raise ConflictError(
                f"experiment {spec.key!r} already exists", code="DUPLICATE_KEY", details={"key": spec.key}
            )
        flag_row = tx.fetch_one("catalog/flags/get", key=spec.flag)
        if flag_row is None:
            raise ValidationError(f"flag {spec.flag!r} does not exist", field="flag")
        definition = {f: getattr(spec, f) for f in VERSION_FIELDS}
        definition["name"] = spec.name if spec.name is not None else spec.key
        definition = _check_definition(tx, flag_row["type"], definition)
        tx.execute(
            "catalog/experiments/insert_head",
            key=spec.key,
            flag=spec.flag,
            owner=actor.user_id,
            now=naive(now),
        )
        _write_version(tx, spec.key, 1, definition, actor, now)
        created = require_experiment(tx, spec.key)
        audit(
            tx,
            actor=actor.user_id,
            entity="experiment",
            entity_key=spec.key,
            action="create",
            now=now,
            after=created,
        )
    return created


def update_experiment(
    store: Store, actor: Principal, key: str, patch: ExperimentPatch, now: datetime
) -> Experiment:
    with store.transaction() as tx:
        before = require_experiment(tx, key)
        require_owner(actor, before, "edit it")
        if before.status not in EDITABLE_STATUSES:
            raise ConflictError(
                f"experiment {key!r} is {before.status}; only draft or rejected experiments can be edited",
                code="NOT_EDITABLE",
                details={"status": before.status, "editable_in": list(EDITABLE_STATUSES)},
            )
        changes = {f: getattr(patch, f) for f in VERSION_FIELDS if getattr(patch, f) is not msgspec.UNSET}
        if isinstance(changes.get("targeting"), str) and not changes["targeting"].strip():
            changes["targeting"] = None  # blank targeting is no targeting, as at create
        if not changes or all(getattr(before, f) == v for f, v in changes.items()):
            return before
        definition = {f: changes.get(f, getattr(before, f)) for f in VERSION_FIELDS}
        if (
            "metrics" not in changes
            and "primary_metric" in changes
            and definition["primary_metric"] is not None
            and definition["primary_metric"] not in definition["metrics"]
        ):
            definition["metrics"] = [*definition["metrics"], definition["primary_metric"]]
        definition = _check_definition(tx, require_flag(tx, before.flag).type, definition)
        version = before.version + 1
        _write_version(tx, key, version, definition, actor, now)
        tx.execute("catalog/experiments/set_version", key=key, version=version, now=naive(now))
        after = require_experiment(tx, key)
        audit(
            tx,
            actor=actor.user_id,
            entity="experiment",
            entity_key=key,
            action="update",
            now=now,
            before=before,
            after=after,
        )
    return after


def get_experiment(store: Store, actor: Principal, key: str) -> Experiment:
    require_reader(actor)
    with store.read() as tx:
        return require_experiment(tx, key)


def list_experiments(
    store: Store,
    actor: Principal,
    limit: int | None,
    cursor: str | None,
    status: str | None = None,
    flag: str | None = None,
) -> Page:
    require_reader(actor)
    return read_page(
        store,
        "catalog/experiments/list_page",
        NEWEST_BY_KEY,
        limit,
        cursor,
        experiment_from_row,
        status=status,
        flag=flag,
    )


def list_versions(store: Store, actor: Principal, key: str, limit: int | None, cursor: str | None) -> Page:
    require_reader(actor)
    return read_page(
        store,
        "catalog/experiments/versions_page",
        BY_VERSION,
        limit,
        cursor,
        _version,
        check=lambda tx: require_experiment(tx, key),
        key=key,
    )


def _version(r: dict[str, Any]) -> ExperimentVersion:
    return ExperimentVersion(
        experiment=r["experiment"],
        version=r["version"],
        name=r["name"],
        hypothesis=r["hypothesis"],
        traffic=float(r["traffic"]),
        variants=_variants(r["variants"]),
        targeting=r["targeting"],
        primary_metric=r["primary_metric"],
        metrics=list(r["metrics"]),
        domains=list(r["domains"]),
        priority=r["priority"],
        created_by=r["created_by"],
        created_at=utc(r["created_at"]),
    )
