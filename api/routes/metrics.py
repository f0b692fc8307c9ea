"""/api/v1/metrics (SPEC §2.3)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from api.deps import Actor, Cursor, Limit, LottyDep
from lotty.catalog import metrics
from lotty.model import Metric, MetricPatch, MetricSpec, Page


class MetricsController(Controller):
    path = "/api/v1/metrics"
    tags = ["metrics"]

    @post("/", status_code=201, summary="Create a metric", sync_to_thread=True)
    def create(self, lotty: LottyDep, actor: Actor, data: JSONBody[MetricSpec]) -> Metric:
        return metrics.create_metric(lotty.store, actor, data, lotty.clock())

    @get("/", summary="List metrics, newest first", sync_to_thread=True)
    def list(
        self,
        lotty: LottyDep,
        actor: Actor,
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[Metric]:
        return metrics.list_metrics(lotty.store, actor, limit, cursor, include_archived)

    @get("/{key:str}", summary="One metric", sync_to_thread=True)
    def show(self, lotty: LottyDep, actor: Actor, key: FromPath[str]) -> Metric:
        return metrics.get_metric(lotty.store, actor, key)

    @patch(
        "/{key:str}",
        summary="Change a metric (its definition is frozen while a live experiment uses it)",
        sync_to_thread=True,
    )
    def update(
        self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[MetricPatch]
    ) -> Metric:
        return metrics.update_metric(lotty.store, actor, key, data, lotty.clock())

    @post("/{key:str}/archive", status_code=200, summary="Archive a metric", sync_to_thread=True)
    def archive(self, lotty: LottyDep, actor: Actor, key: FromPath[str]) -> Metric:
        return metrics.archive_metric(lotty.store, actor, key, lotty.clock())
