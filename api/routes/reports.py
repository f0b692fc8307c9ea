"""GET /api/v1/experiments/{key}/report (SPEC §5): JSON or CSV, for every role but sdk."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Response, get
from litestar.params import FromPath, QueryParameter

from api.deps import Actor, LottyDep
from lotty.reports import Report, render_csv, request_report

From = QueryParameter(
    name="from", required=False, description="Window start, RFC 3339, included (default: the start)"
)
To = QueryParameter(name="to", required=False, description="Window end, RFC 3339, excluded (default: now)")
BucketParam = QueryParameter(required=False, description="Series bucket: minute, hour (default) or day")
FormatParam = QueryParameter(
    required=False, description="json (default) or csv (one row per variant x metric)"
)


@get(
    "/api/v1/experiments/{key:str}/report",
    tags=["reports"],
    summary="Per-variant metrics with lifts, intervals, p-values, SRM and a time series",
    sync_to_thread=True,
)
def experiment_report(
    lotty: LottyDep,
    actor: Actor,
    key: FromPath[str],
    from_: Annotated[str | None, From] = None,
    to: Annotated[str | None, To] = None,
    bucket: Annotated[str, BucketParam] = "hour",
    format: Annotated[Literal["json", "csv"], FormatParam] = "json",
) -> Response[Report | str]:
    report, definitions = request_report(lotty, actor, key, from_, to, bucket)
    if format == "csv":
        return Response(
            render_csv(report, definitions),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{key}-report.csv"'},
        )
    return Response(report)
