"""The experiment lifecycle (SPEC §2.4): review, start, pause, resume, complete, archive.

Every transition is one row of TRANSITIONS; anything else is a 409 that changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lotty.auth import REVIEWER_ROLES, Principal, require_reader
from lotty.catalog.common import (
    NEWEST_BY_ID,
    audit,
    naive,
    new_id,
    read_page,
    to_json,
    utc,
)
from lotty.catalog.experiments import require_experiment, require_owner
from lotty.catalog.flags import require_flag
from lotty.catalog.users import approver_group
from lotty.errors import ConflictError, ForbiddenError, ValidationError
from lotty.model import CompletionInput, Experiment, Outcome, Page, Review
from lotty.notifications.occurrences import status_changed
from lotty.notifications.outbox import enqueue
from lotty.store import Store, Tx


@dataclass(frozen=True, slots=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    actor: str  # "owner" (owner or admin) or "reviewer" (approver or admin, never for one's own approval)


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(("draft",), "in_review", "owner"),
    "approve": Transition(("in_review",), "approved", "reviewer"),
    "request-changes": Transition(("in_review",), "draft", "reviewer"),
    "reject": Transition(("in_review",), "rejected", "reviewer"),
    "rework": Transition(("rejected",), "draft", "owner"),
    "start": Transition(("approved",), "running", "owner"),
    "pause": Transition(("running",), "paused", "owner"),
    "resume": Transition(("paused",), "running", "owner"),
    "complete": Transition(("running", "paused"), "completed", "owner"),
    "archive": Transition(("completed",), "archived", "owner"),
}
REVIEW_DECISIONS = {"approve": "approve", "request-changes": "request_changes", "reject": "reject"}
COMMENT_LIMIT = 10_000


def _require_reviewer(tx: Tx, actor: Principal, experiment: Experiment, action: str) -> None:
    if actor.role not in REVIEWER_ROLES:
        raise ForbiddenError(
            f"only approvers and admins may {action} experiments", details={"role": actor.role}
        )
    if action == "approve" and actor.user_id == experiment.owner:
        raise ForbiddenError("authors never approve their own experiment", code="OWN_EXPERIMENT")
    group = approver_group(tx, experiment.owner)
    if group is not None and not actor.is_admin and actor.user_id not in group.approvers:
        raise ForbiddenError(
            f"{actor.user_id!r} is not in the approver group of the experiment's owner",
            code="NOT_IN_APPROVER_GROUP",
            details={"approvers": group.approvers},
        )


def _check_comment(comment: str | None) -> str | None:
    if comment is not None and len(comment) > COMMENT_LIMIT:
        raise ValidationError(f"comment is longer than {COMMENT_LIMIT} characters", field="comment")
    return comment


def transition(
    store: Store,
    actor: Principal,
    key: str,
    action: str,
    now: datetime,
    *,
    comment: str | None = None,
    completion: CompletionInput | None = None,
    reason: dict[str, Any] | None = None,
    also: Callable[[Tx, Experiment], None] | None = None,
) -> Experiment:
    """Applies one lifecycle action; `completion` is required for (and only for) `complete`.

    `reason` is extra audit context for actions taken by the system (a guardrail trigger); `also`
    runs in the same transaction with the experiment as it now is (to record what caused it).
    A change of status queues an `experiment_status_changed` notification in that transaction.
    """
    step = TRANSITIONS[action]
    comment = _check_comment(completion.comment if completion else comment)
    with store.transaction() as tx:
        before = require_experiment(tx, key)
        if step.actor == "owner":
            require_owner(actor, before, action.replace("-", " ") + " it")
        else:
            _require_reviewer(tx, actor, before, action)
        if before.status not in step.sources:
            raise ConflictError(
                f"cannot {action} experiment {key!r}: it is {before.status}, and {action} needs "
                f"{' or '.join(step.sources)}",
                code="INVALID_TRANSITION",
                details={"status": before.status, "action": action, "allowed_from": list(step.sources)},
            )
        target, started_at, ended_at, outcome = step.target, before.started_at, before.ended_at, None
        if action in REVIEW_DECISIONS:
            target = _record_review(tx, actor, before, action, comment, now)
        elif action in ("start", "resume"):
            _require_flag_free(tx, before)
            started_at = started_at or now
        elif action == "complete":
            assert completion is not None
            outcome = _outcome(tx, actor, before, completion, now)
            ended_at = now
        kept_outcome = outcome or before.outcome
        tx.execute(
            "catalog/experiments/set_status",
            key=key,
            status=target,
            started_at=None if started_at is None else naive(started_at),
            ended_at=None if ended_at is None else naive(ended_at),
            outcome=None if kept_outcome is None else to_json(kept_outcome),
            now=naive(now),
        )
        after = require_experiment(tx, key)
        audit(
            tx,
            actor=actor.user_id,
            entity="experiment",
            entity_key=key,
            action=action.replace("-", "_"),
            now=now,
            before={"status": before.status, "version": before.version},
            after={
                "status": after.status,
                "version": after.version,
                "outcome": after.outcome,
                **(reason or {}),
            },
            comment=comment,
        )
        if after.status != before.status:
            enqueue(tx, status_changed(before.status, after, action, actor.user_id, comment, now), now)
        if also is not None:
            also(tx, after)
    return after


def _record_review(
    tx: Tx, actor: Principal, experiment: Experiment, action: str, comment: str | None, now: datetime
) -> str:
    """Writes the review and returns the status it leads to (approve waits for the threshold)."""
    if (
        tx.fetch_one(
            "catalog/reviews/find",
            experiment=experiment.key,
            version=experiment.version,
            reviewer=actor.user_id,
        )
        is not None
    ):
        raise ConflictError(
            f"{actor.user_id!r} already reviewed version {experiment.version} of {experiment.key!r}",
            code="ALREADY_REVIEWED",
        )
    tx.execute(
        "catalog/reviews/insert",
        id=new_id("rev"),
        experiment=experiment.key,
        version=experiment.version,
        reviewer=actor.user_id,
        decision=REVIEW_DECISIONS[action],
        comment=comment,
        now=naive(now),
    )
    if action != "approve":
        return TRANSITIONS[action].target
    group = approver_group(tx, experiment.owner)
    needed = group.min_approvals if group else 1
    approvals = tx.fetch_value(
        "catalog/reviews/count_approvals", experiment=experiment.key, version=experiment.version
    )
    return "approved" if approvals >= needed else "in_review"


def _require_flag_free(tx: Tx, experiment: Experiment) -> None:
    for other in tx.fetch_all("catalog/experiments/active_on_flag", flag=experiment.flag):
        if other["key"] != experiment.key:
            raise ConflictError(
                f"flag {experiment.flag!r} already has a {other['status']} experiment {other['key']!r}",
                code="ACTIVE_EXPERIMENT_EXISTS",
                details={"experiment": other["key"], "status": other["status"]},
            )


def _outcome(
    tx: Tx, actor: Principal, experiment: Experiment, completion: CompletionInput, now: datetime
) -> Outcome:
    if not completion.comment.strip():
        raise ValidationError("a completion needs a comment saying why", field="comment")
    variants = {v.name: v for v in experiment.variants}
    if completion.outcome == "rollout_winner":
        if completion.winner is None:
            raise ValidationError("rollout_winner needs winner (a variant name)", field="winner")
        if completion.winner not in variants:
            raise ValidationError(
                f"winner {completion.winner!r} is not a variant of {experiment.key!r}",
                field="winner",
                details={"variants": list(variants)},
            )
    elif completion.winner is not None:
        raise ValidationError(
            f"winner is only given with rollout_winner, not {completion.outcome}", field="winner"
        )
    if completion.promote and completion.outcome != "rollout_winner":
        raise ValidationError("promote only applies to rollout_winner", field="promote")
    if completion.promote:
        assert completion.winner is not None
        flag = require_flag(tx, experiment.flag)
        value = variants[completion.winner].value
        tx.execute(
            "catalog/flags/update",
            key=flag.key,
            default_value=to_json(value),
            description=flag.description,
            now=naive(now),
        )
        audit(
            tx,
            actor=actor.user_id,
            entity="flag",
            entity_key=flag.key,
            action="promote",
            now=now,
            before={"default": flag.default},
            after={"default": value},
            comment=f"winner {completion.winner!r} of experiment {experiment.key!r}",
        )
    return Outcome(
        outcome=completion.outcome,
        winner=completion.winner,
        comment=completion.comment,
        decided_by=actor.user_id,
        decided_at=now,
    )


def list_reviews(store: Store, actor: Principal, key: str, limit: int | None, cursor: str | None) -> Page:
    require_reader(actor)
    return read_page(
        store,
        "catalog/reviews/list_page",
        NEWEST_BY_ID,
        limit,
        cursor,
        lambda r: Review(**{**r, "created_at": utc(r["created_at"])}),
        check=lambda tx: require_experiment(tx, key),
        experiment=key,
    )
