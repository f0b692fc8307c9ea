"""Strict body decoding, before Litestar's own (which coerces "100" to 100 and "true" to true).

Every JSON body is first decoded with msgspec in strict mode against the handler's `data` type,
so a wrongly typed value is a 400 naming its path instead of being silently converted.
"""

from __future__ import annotations

import re
import types
from typing import Any, Union, get_args, get_origin

import msgspec
from litestar import Request

from lotty.errors import JSON_DECODE_ERRORS, ValidationError

_PATH = re.compile(r" - at `\$\.?(.*)`$")
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")
_decoders: dict[Any, tuple[msgspec.json.Decoder[Any], bool] | None] = {}


def _decoder_for(handler: Any) -> tuple[msgspec.json.Decoder[Any], bool] | None:
    """(strict decoder, whether an empty body is allowed) for a handler's `data`, cached.

    A handler whose body type lenient conversion cannot change (no numbers or booleans that a
    string could be coerced into) opts out with `opt={"lenient_body_is_strict": True}`, sparing
    the hot path a second decode.
    """
    if handler not in _decoders:
        parameter = handler.parsed_fn_signature.parameters.get("data")
        if parameter is None or handler.opt.get("lenient_body_is_strict"):
            _decoders[handler] = None
        else:
            annotation = parameter.annotation
            optional = get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(
                annotation
            )
            _decoders[handler] = (msgspec.json.Decoder(annotation), optional)
    return _decoders[handler]


def takes_json_body(handler: Any) -> bool:
    return _decoder_for(handler) is not None


def field_and_message(error: msgspec.ValidationError) -> tuple[str | None, str]:
    """("variants[0].weight", "variants[0].weight: Expected `float`, got `str`") from msgspec's text."""
    text = str(error)
    path_match = _PATH.search(text)
    message = _PATH.sub("", text)
    path = path_match.group(1) if path_match else ""
    named = _NAMED_FIELD.search(message)
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
        return path, message
    return (path or None), (f"{path}: {message}" if path else message)


async def decode_strictly(request: Request[Any, Any, Any]) -> None:
    found = _decoder_for(request.route_handler)
    if found is None:
        return
    decoder, optional = found
    body = await request.body()
    if optional and not body.strip():
        return
    try:
        decoder.decode(body)
    except msgspec.ValidationError as error:
        field, message = field_and_message(error)
        raise ValidationError(message, field=field) from None
    except JSON_DECODE_ERRORS as error:
        raise ValidationError(f"request body is not valid JSON ({error})", code="INVALID_JSON") from None
