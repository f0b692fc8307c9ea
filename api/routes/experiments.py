"""/api/v1/experiments: definitions, versions, reviews, log and the lifecycle (SPEC §2.4)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from api.deps import Actor, Cursor, Limit, LottyDep
from lotty.auth import Principal
from lotty.catalog import audit_log, experiments, lifecycle
from lotty.instance import Lotty
from lotty.model import (
    AuditEntry,
    CommentInput,
    CompletionInput,
    Experiment,
    ExperimentPatch,
    ExperimentSpec,
    ExperimentVersion,
    Page,
    Review,
    Status,
)


def _act(lotty: Lotty, actor: Principal, key: str, action: str, data: CommentInput | None) -> Experiment:
    return lifecycle.transition(
        lotty.store, actor, key, action, lotty.clock(), comment=data.comment if data else None
    )


class ExperimentsController(Controller):
    path = "/api/v1/experiments"
    tags = ["experiments"]

    @post("/", status_code=201, summary="Create an experiment (draft, version 1)", sync_to_thread=True)
    def create(self, lotty: LottyDep, actor: Actor, data: JSONBody[ExperimentSpec]) -> Experiment:
        return experiments.create_experiment(lotty.store, actor, data, lotty.clock())

    @get("/", summary="List experiments, newest first", sync_to_thread=True)
    def list(
        self,
        lotty: LottyDep,
        actor: Actor,
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
        status: FromQuery[Status | None] = None,
        flag: FromQuery[str | None] = None,
    ) -> Page[Experiment]:
        return experiments.list_experiments(lotty.store, actor, limit, cursor, status, flag)

    @get("/{key:str}", summary="One experiment at its current version", sync_to_thread=True)
    def show(self, lotty: LottyDep, actor: Actor, key: FromPath[str]) -> Experiment:
        return experiments.get_experiment(lotty.store, actor, key)

    @patch(
        "/{key:str}",
        summary="Edit a draft or rejected experiment; each change is a new version",
        sync_to_thread=True,
    )
    def update(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[ExperimentPatch]
    ) -> Experiment:
        return experiments.update_experiment(lotty.store, actor, key, data, lotty.clock())

    @get("/{key:str}/versions", summary="Every version, newest first", sync_to_thread=True)
    def versions(
        self,
        lotty: LottyDep,
        actor: Actor,
        key: FromPath[str],
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
    ) -> Page[ExperimentVersion]:
        return experiments.list_versions(lotty.store, actor, key, limit, cursor)

    @get("/{key:str}/reviews", summary="Reviews with their comments, newest first", sync_to_thread=True)
    def reviews(
        self,
        lotty: LottyDep,
        actor: Actor,
        key: FromPath[str],
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
    ) -> Page[Review]:
        return lifecycle.list_reviews(lotty.store, actor, key, limit, cursor)

    @get("/{key:str}/log", summary="The experiment's audit log, newest first", sync_to_thread=True)
    def log(
        self,
        lotty: LottyDep,
        actor: Actor,
        key: FromPath[str],
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
    ) -> Page[AuditEntry]:
        return audit_log.experiment_log(lotty.store, actor, key, limit, cursor)

    @post(
        "/{key:str}/submit", status_code=200, summary="draft → in_review (owner, admin)", sync_to_thread=True
    )
    def submit(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CommentInput | None] = None
    ) -> Experiment:
        return _act(lotty, actor, key, "submit", data)

    @post(
        "/{key:str}/approve",
        status_code=200,
        summary="Approve; in_review → approved once approvals reach the owner's threshold",
        sync_to_thread=True,
    )
    def approve(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CommentInput | None] = None
    ) -> Experiment:
        return _act(lotty, actor, key, "approve", data)

    @post(
        "/{key:str}/request-changes",
        status_code=200,
        summary="in_review → draft (approver, admin)",
        sync_to_thread=True,
    )
    def request_changes(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CommentInput | None] = None
    ) -> Experiment:
        return _act(lotty, actor, key, "request-changes", data)

    @post(
        "/{key:str}/reject",
        status_code=200,
        summary="in_review → rejected (approver, admin)",
        sync_to_thread=True,
    )
    def reject(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CommentInput | None] = None
    ) -> Experiment:
        return _act(lotty, actor, key, "reject", data)

    @post(
        "/{key:str}/rework", status_code=200, summary="rejected → draft (owner, admin)", sync_to_thread=True
    )
    def rework(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CommentInput | None] = None
    ) -> Experiment:
        return _act(lotty, actor, key, "rework", data)

    @post(
        "/{key:str}/start", status_code=200, summary="approved → running (owner, admin)", sync_to_thread=True
    )
    def start(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CommentInput | None] = None
    ) -> Experiment:
        return _act(lotty, actor, key, "start", data)

    @post("/{key:str}/pause", status_code=200, summary="running → paused (owner, admin)", sync_to_thread=True)
    def pause(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CommentInput | None] = None
    ) -> Experiment:
        return _act(lotty, actor, key, "pause", data)

    @post(
        "/{key:str}/resume", status_code=200, summary="paused → running (owner, admin)", sync_to_thread=True
    )
    def resume(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CommentInput | None] = None
    ) -> Experiment:
        return _act(lotty, actor, key, "resume", data)

    @post(
        "/{key:str}/complete",
        status_code=200,
        summary="running or paused → completed with an outcome (owner, admin)",
        sync_to_thread=True,
    )
    def complete(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CompletionInput]
    ) -> Experiment:
        return lifecycle.transition(lotty.store, actor, key, "complete", lotty.clock(), completion=data)

    @post(
        "/{key:str}/archive",
        status_code=200,
        summary="completed → archived (owner, admin)",
        sync_to_thread=True,
    )
    def archive(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[CommentInput | None] = None
    ) -> Experiment:
        return _act(lotty, actor, key, "archive", data)
