"""Runtime endpoints for product services: decide (SPEC §3) and OFREP (SPEC §3.2)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import MediaType, Request, Response, post
from litestar.exceptions import InternalServerException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from api.deps import LottyDep, RuntimeCaller, provide_lotty
from api.strict import field_and_message
from lotty.decide_input import check_decide_input
from lotty.errors import JSON_DECODE_ERRORS, ValidationError
from lotty.instance import Lotty
from lotty.ofrep import OfrepError, bulk_etag, evaluation, parse_request
from lotty.runtime import IssuedDecision

DECIDE_BODY_LIMIT = 64 * 1024
Scalar = str | int | float | bool | None


class DecideRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    subject_id: str
    attributes: dict[str, Scalar | list[Scalar]] = {}
    flags: list[str] | None = None


class DecideResponse(msgspec.Struct, kw_only=True):
    decisions: list[IssuedDecision]


async def _decide(
    lotty: Lotty, subject_id: str, attributes: dict[str, Any], flags: list[str] | None
) -> list[IssuedDecision]:
    issued, pending = lotty.decider.decide(subject_id, attributes, flags)
    if pending is not None:
        await asyncio.wrap_future(pending)
    return issued


_decode_decide_request = msgspec.json.Decoder(DecideRequest).decode
_encode = msgspec.json.Encoder().encode


def read_decide_request(body: bytes) -> DecideRequest:
    """The body decoded strictly in one msgspec pass (what Litestar's JSONBody would do, minus its
    per-request machinery); a wrongly typed field is a 400 naming it, as on every other route."""
    try:
        data = _decode_decide_request(body)
    except msgspec.ValidationError as error:
        field, message = field_and_message(error)
        raise ValidationError(message, field=field) from None
    except JSON_DECODE_ERRORS as error:
        raise ValidationError(f"request body is not valid JSON ({error})", code="INVALID_JSON") from None
    check_decide_input(data.subject_id, data.attributes, data.flags)
    return data


def declared_over(declared: str | bytes | None, limit: int) -> bool:
    """Whether a Content-Length header's value says the body is over `limit` bytes."""
    return declared is not None and declared.isdigit() and int(declared) > limit


def body_too_large(limit: int) -> ValidationError:
    """The runtime routes' answer to a body over `limit` bytes: a 400, as SPEC §3 says for decide."""
    message = f"request body is larger than {limit} bytes"
    return ValidationError(message, code="BODY_TOO_LARGE", details={"limit": limit})


async def read_body(receive: Receive, limit: int) -> bytes:
    """The request body read straight from ASGI `receive` (Litestar's `Request.body()` stream costs
    a few µs more per request); past `limit` bytes, declared or not, a 400 (SPEC §3)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise InternalServerException("client disconnected prematurely")  # as Request.body() does
        chunk: bytes = message.get("body", b"")  # type: ignore[assignment]  # an http.request message
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_JSON_CONTENT_TYPE = (b"content-type", MediaType.JSON.value.encode())


async def send_json(
    send: Send, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """An answer of ready JSON bytes as its two ASGI messages."""
    raw = [_JSON_CONTENT_TYPE, (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class JsonAnswer(ASGIResponse):
    """A 200 answer of ready JSON bytes. `ASGIResponse.__init__` builds a header container and
    checks a dozen cases per answer (~6 µs of a decide request); this sends the two messages."""

    def __init__(self, body: bytes) -> None:  # no super().__init__(): __call__ needs only the body
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, self.body)


@dataclass
class DecideOperation(Operation):
    """The decide handler reads the raw body (see `decide`); document its request type here."""

    def __post_init__(self) -> None:
        scalar = [
            Schema(type=t)
            for t in (
                OpenAPIType.STRING,
                OpenAPIType.INTEGER,
                OpenAPIType.NUMBER,
                OpenAPIType.BOOLEAN,
                OpenAPIType.NULL,
            )
        ]
        attribute = Schema(one_of=[*scalar, Schema(type=OpenAPIType.ARRAY, items=Schema(one_of=scalar))])
        request = Schema(
            type=OpenAPIType.OBJECT,
            title="DecideRequest",
            properties={
                "subject_id": Schema(type=OpenAPIType.STRING),
                "attributes": Schema(type=OpenAPIType.OBJECT, additional_properties=attribute),
                "flags": Schema(
                    one_of=[
                        Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING)),
                        Schema(type=OpenAPIType.NULL),
                    ]
                ),
            },
            required=["subject_id"],
        )
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=request)}
        )


@post(
    "/api/v1/decide",
    status_code=200,
    tags=["runtime"],
    summary="Which value of each flag a subject gets",
    opt={"max_body_bytes": DECIDE_BODY_LIMIT, "oversize_status": 400, "runtime": True},
    operation_class=DecideOperation,
    responses={
        200: ResponseSpec(
            data_container=DecideResponse, description="One decision per flag", generate_examples=False
        )
    },
)
async def decide(request: Request[Any, Any, Any]) -> JsonAnswer:
    # The hot path: the caller was authenticated before the body was read (opt "runtime", see
    # api/app.py); the body is read straight from ASGI and decoded by msgspec here, and the answer,
    # encoded by msgspec, leaves as a JsonAnswer, skipping Litestar's parameter model, body stream
    # and response building, which cost more per request than the decision itself.
    # `lotty serve` answers this route in front of Litestar (api/decide_lane.py), with the same steps.
    lotty = provide_lotty(request.app.state)
    return await decide_answer(lotty, request.receive)


async def decide_answer(lotty: Lotty, receive: Receive) -> JsonAnswer:
    """Read, decode and decide a request whose caller is authenticated: the 200 answer."""
    data = read_decide_request(await read_body(receive, DECIDE_BODY_LIMIT))
    issued = await _decide(lotty, data.subject_id, data.attributes, data.flags)
    return JsonAnswer(_encode(DecideResponse(decisions=issued)))


@dataclass
class OfrepOperation(Operation):
    """OFREP handlers read the raw body (to answer errors in OFREP's shape); document it here."""

    def __post_init__(self) -> None:
        context = Schema(
            type=OpenAPIType.OBJECT,
            additional_properties=True,
            properties={"targetingKey": Schema(type=OpenAPIType.STRING, description="subject id")},
            required=["targetingKey"],
        )
        self.request_body = RequestBody(
            required=True,
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, properties={"context": context})
                )
            },
        )


def _ofrep_error(error: OfrepError, key: str | None = None) -> Response[Any]:
    body: dict[str, Any] = {"errorCode": error.code, "errorDetails": error.details}
    if key is not None:
        body = {"key": key, **body}
    return Response(body, status_code=error.status)


@post(
    "/ofrep/v1/evaluate/flags/{key:str}",
    status_code=200,
    tags=["openfeature"],
    summary="OFREP: evaluate one flag",
    opt={"max_body_bytes": DECIDE_BODY_LIMIT},
    operation_class=OfrepOperation,
)
async def ofrep_single(
    lotty: LottyDep, caller: RuntimeCaller, request: Request[Any, Any, Any], key: FromPath[str]
) -> Response[Any]:
    try:
        subject_id, attributes = parse_request(await request.body())
    except OfrepError as error:
        return _ofrep_error(error, key)
    (issued,) = await _decide(lotty, subject_id, attributes, [key])
    answer = evaluation(issued)
    return Response(answer, status_code=404 if "errorCode" in answer else 200)


@post(
    "/ofrep/v1/evaluate/flags",
    status_code=200,
    tags=["openfeature"],
    summary="OFREP: evaluate every flag (ETag / If-None-Match → 304)",
    opt={"max_body_bytes": DECIDE_BODY_LIMIT},
    operation_class=OfrepOperation,
)
async def ofrep_bulk(
    lotty: LottyDep, caller: RuntimeCaller, request: Request[Any, Any, Any]
) -> Response[Any]:
    try:
        subject_id, attributes = parse_request(await request.body())
    except OfrepError as error:
        return _ofrep_error(error)
    issued = await _decide(lotty, subject_id, attributes, None)
    etag = bulk_etag(issued)
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(None, status_code=304, headers={"ETag": etag})
    return Response({"flags": [evaluation(i) for i in issued]}, headers={"ETag": etag})
