"""The Litestar application factory: routes, dependencies, error mapping, OpenAPI, lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from litestar import Litestar, Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from api.deps import DEPENDENCIES, provide_actor, provide_lotty, provide_runtime_caller
from api.errors import EXCEPTION_HANDLERS
from api.observability import RequestObserver, cors_config
from api.routes.audit import list_audit
from api.routes.event_types import EventTypesController
from api.routes.events import ingest_events
from api.routes.experiments import ExperimentsController
from api.routes.flags import FlagsController
from api.routes.guardrail_checks import check_guardrails_now, guardrail_triggers
from api.routes.guardrails import GuardrailsController
from api.routes.health import health, prometheus_metrics, ready
from api.routes.metrics import MetricsController
from api.routes.notifications import ChannelsController, RulesController, list_deliveries
from api.routes.reports import experiment_report
from api.routes.runtime import body_too_large, decide, declared_over, ofrep_bulk, ofrep_single
from api.routes.users import UsersController
from api.strict import decode_strictly, takes_json_body
from jobs.scheduler import create_scheduler
from lotty import __version__
from lotty.errors import PayloadTooLargeError
from lotty.instance import Lotty
from lotty.settings import Settings


def create_app(
    settings: Settings | None = None, *, lotty: Lotty | None = None, jobs: bool | None = None
) -> Litestar:
    """An app over `lotty` (kept open by the caller) or over a `Lotty` it opens on `settings`.

    `jobs` starts the scheduler (lake flush, compaction, ...); by default only when the app opens
    its own Lotty, as `lotty serve` does, so tests holding a Lotty control time themselves.
    """
    run_jobs = lotty is None if jobs is None else jobs
    if settings is None:
        settings = lotty.settings if lotty is not None else Settings.from_env()
    observer = RequestObserver(access_log_enabled=settings.access_log)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        instance = lotty or await anyio.to_thread.run_sync(Lotty, settings)
        assert instance is not None
        app.state.lotty = instance
        observer.stats = instance.metrics.requests
        scheduler = create_scheduler(instance) if run_jobs else None
        if scheduler is not None:
            scheduler.start()
        # Everything built at start-up (catalog snapshot, enrolment state, routes) lives for the
        # process: keep it out of the cyclic collector so full collections stay short.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=True)
            app.state.lotty = None
            if lotty is None:
                instance.close()

    async def check_request(request: Request[Any, Any, Any]) -> None:
        """413 from the declared length alone, before any body is read; then strict decoding."""
        limit = request.route_handler.opt.get("max_body_bytes", settings.max_body_bytes)
        declared = request.headers.get("content-length")
        if declared_over(declared, limit):
            if request.route_handler.opt.get("oversize_status") == 400:  # decide: SPEC §3 says 400
                raise body_too_large(limit)
            raise PayloadTooLargeError(f"request body is larger than {limit} bytes", details={"limit": limit})
        strict = takes_json_body(request.route_handler)
        runtime = request.route_handler.opt.get("runtime", False)
        if strict or runtime:
            # Authenticate before judging the body, so a caller without a key learns 401, not 400.
            # Runtime routes are authenticated only here (dependency injection costs them too much).
            lotty = provide_lotty(request.app.state)
            if runtime:
                provide_runtime_caller(request, lotty)
            else:
                provide_actor(request, lotty)
        if strict:
            await decode_strictly(request)

    app = Litestar(
        route_handlers=[
            health,
            ready,
            prometheus_metrics,
            UsersController,
            FlagsController,
            EventTypesController,
            MetricsController,
            ExperimentsController,
            GuardrailsController,
            guardrail_triggers,
            check_guardrails_now,
            experiment_report,
            list_audit,
            ChannelsController,
            RulesController,
            list_deliveries,
            decide,
            ingest_events,
            ofrep_single,
            ofrep_bulk,
        ],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        before_request=check_request,
        middleware=[observer],
        cors_config=cors_config(settings),
        logging_config=None,  # lotty.logs configures logging (JSON lines); Litestar must not
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Lotty",
            version=__version__,
            description="Feature flags and A/B experiments, warehouse-first on DuckDB.",
            components=Components(
                security_schemes={
                    "ApiKey": SecurityScheme(
                        type="http", scheme="bearer", description="Authorization: Bearer <key>"
                    ),
                }
            ),
            security=[{"ApiKey": []}],
        ),
    )
    app.state.request_observer = observer  # api/decide_lane.py observes its requests with it
    return app
