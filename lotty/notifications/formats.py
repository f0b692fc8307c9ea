"""How each channel type is spoken to: the HTTP request for one delivery, and what of its
configuration is secret. Pure functions; `delivery.py` sends what they build."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgspec

from lotty.errors import ValidationError
from lotty.notifications.model import CONFIG_TYPES

MASK = "***"
TELEGRAM_TEXT_LIMIT = 4096  # the Bot API refuses longer messages
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token


@dataclass(frozen=True, slots=True)
class HttpRequest:
    url: str
    headers: Mapping[str, str]
    body: bytes


def check_config(channel_type: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration as stored (defaults filled in), or a 400 naming the field at fault."""
    try:
        typed = msgspec.convert(dict(config), CONFIG_TYPES[channel_type])
    except msgspec.ValidationError as error:
        raise ValidationError(
            f"config of a {channel_type} channel: {error}", field=_config_field(str(error))
        ) from None
    checked: dict[str, Any] = msgspec.to_builtins(typed)
    url_field = "api_url" if channel_type == "telegram" else "url"
    _check_url(checked[url_field], f"config.{url_field}")
    for name, value in checked.get("headers", {}).items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValidationError(f"header name {name!r} is not a valid HTTP token", field="config.headers")
        if "\r" in value or "\n" in value:
            raise ValidationError(f"header {name!r} has a line break in its value", field="config.headers")
    if channel_type == "telegram":
        if not checked["bot_token"].strip() or "/" in checked["bot_token"]:
            raise ValidationError("bot_token must be a Telegram bot token", field="config.bot_token")
        if checked["chat_id"] == "":
            raise ValidationError("chat_id must not be empty", field="config.chat_id")
    return checked


def _config_field(message: str) -> str:
    """`config.<name>` for the field msgspec's message points at (`... - at `$.headers[...]``,
    `... field `url``), else `config`."""
    at = re.search(r"at `\$\.(\w+)", message) or re.search(r"field `(\w+)`", message)
    return f"config.{at.group(1)}" if at else "config"


def _check_url(url: str, field: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{field} must be an http(s) URL with a host, got {url!r}", field=field)


def masked(channel_type: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration as the API and the audit log show it: no token, no header value, no
    secret part of a Slack webhook URL."""
    shown = dict(config)
    if channel_type == "webhook":
        shown["headers"] = {name: MASK for name in config.get("headers", {})}
    elif channel_type == "slack":
        parts = urlsplit(config["url"])
        shown["url"] = f"{parts.scheme}://{parts.netloc}/{MASK}"
    elif channel_type == "telegram":
        shown["bot_token"] = MASK
    return shown


def render(
    channel_type: str, config: Mapping[str, Any], delivery_id: str, payload: Mapping[str, Any]
) -> HttpRequest:
    """The request delivering `payload` (an occurrence's payload) through one channel."""
    headers = {"Content-Type": "application/json", "User-Agent": "lotty-notifications"}
    if channel_type == "webhook":
        body = {"delivery_id": delivery_id, **payload}
        headers |= {"X-Lotty-Event": str(payload["event"]), "X-Lotty-Delivery": delivery_id}
        headers |= dict(config.get("headers", {}))
        return HttpRequest(config["url"], headers, msgspec.json.encode(body))
    if channel_type == "slack":
        return HttpRequest(config["url"], headers, msgspec.json.encode(slack_message(payload)))
    if channel_type == "telegram":
        url = f"{config['api_url'].rstrip('/')}/bot{config['bot_token']}/sendMessage"
        message = {
            "chat_id": config["chat_id"],
            "text": f"[Lotty] {payload['text']}"[:TELEGRAM_TEXT_LIMIT],
            "disable_web_page_preview": True,
        }
        return HttpRequest(url, headers, msgspec.json.encode(message))
    raise ValueError(f"unknown channel type {channel_type!r}")


def slack_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Incoming-webhook message: `text` for notifications and clients without blocks, then blocks."""
    text = _slack_escape(str(payload["text"]))
    context = _slack_escape(
        f"{payload['event']} · experiment {payload['experiment']} · flag {payload['flag']}"
    )
    return {
        "text": f"[Lotty] {text}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Lotty* {text}"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reserves these three (https://api.slack.com/reference/surfaces/formatting#escaping)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def redact(text: str, config: Mapping[str, Any]) -> str:
    """An error message without the channel's secrets (a Telegram URL carries the bot token)."""
    for secret in (config.get("bot_token"), *config.get("headers", {}).values()):
        if secret:
            text = text.replace(str(secret), MASK)
    return text
