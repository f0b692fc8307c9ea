"""POST /api/v1/events (SPEC §4): per-event validation, dedup, durable before the answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, post
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from api.deps import provide_lotty
from lotty.events.ingest import decode_batch
from lotty.events.validation import MAX_BODY_BYTES, MAX_EVENTS, Rejection


class EventsResponse(msgspec.Struct, kw_only=True):
    accepted: int
    duplicates: int
    rejected: int
    errors: list[Rejection]


def _string(description: str, **extra: Any) -> Schema:
    return Schema(type=OpenAPIType.STRING, description=description, **extra)


@dataclass
class EventsOperation(Operation):
    """The handler decodes the raw body itself (one msgspec pass, per-event errors); document it."""

    def __post_init__(self) -> None:
        event = Schema(
            type=OpenAPIType.OBJECT,
            required=["event_id", "event_type", "decision_id", "subject_id", "timestamp"],
            properties={
                "event_id": _string("Client-chosen unique id; repeats are counted as duplicates"),
                "event_type": _string("Key of a non-archived event type"),
                "decision_id": _string("The decision_id decide returned"),
                "subject_id": _string("The subject the decision was made for"),
                "timestamp": _string(
                    "When it happened: RFC 3339 with an offset", format=OpenAPIFormat.DATE_TIME
                ),
                "properties": Schema(
                    type=OpenAPIType.OBJECT,
                    additional_properties=True,
                    description="Values for the event type's properties (no others)",
                ),
            },
        )
        body = Schema(
            type=OpenAPIType.OBJECT,
            required=["events"],
            properties={"events": Schema(type=OpenAPIType.ARRAY, items=event, max_items=MAX_EVENTS)},
        )
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=body)}
        )


@post(
    "/api/v1/events",
    status_code=200,
    tags=["runtime"],
    summary="Send events that follow decisions (up to 1000 per call)",
    opt={"max_body_bytes": MAX_BODY_BYTES, "runtime": True},
    request_max_body_size=MAX_BODY_BYTES,
    operation_class=EventsOperation,
)
async def ingest_events(request: Request[Any, Any, Any]) -> EventsResponse:
    # The caller was authenticated before the body was read (opt "runtime", see api/app.py).
    lotty = provide_lotty(request.app.state)
    result, waits = lotty.events.ingest(decode_batch(await request.body()))
    for written in waits:  # durable before the answer; a failed write fails the request
        await asyncio.wrap_future(written)
    lotty.metrics.count_events(
        accepted=result.accepted, duplicates=result.duplicates, rejected=result.rejected
    )
    return EventsResponse(
        accepted=result.accepted, duplicates=result.duplicates, rejected=result.rejected, errors=result.errors
    )
