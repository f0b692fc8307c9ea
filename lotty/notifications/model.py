"""Notification channels, rules and deliveries (SPEC §6): what the API takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from lotty.model import Input

ChannelType = Literal["webhook", "slack", "telegram"]
NotificationEvent = Literal["guardrail_triggered", "experiment_status_changed", "srm_detected"]
DeliveryStatus = Literal["pending", "sent", "failed", "suppressed"]
EVENTS: tuple[str, ...] = ("guardrail_triggered", "experiment_status_changed", "srm_detected")
DELIVERY_STATUSES: tuple[str, ...] = ("pending", "sent", "failed", "suppressed")


class Channel(msgspec.Struct, kw_only=True):
    """A channel as the API shows it: secrets in `config` (tokens, header values) are masked."""

    key: str
    type: ChannelType
    config: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_at: datetime


class ChannelSpec(Input, kw_only=True):
    key: str
    type: ChannelType
    config: dict[str, Any]


class ChannelPatch(Input, kw_only=True):
    config: dict[str, Any]


# -- channel configurations, per type (checked when a channel is created or changed) -------------
class WebhookConfig(Input, kw_only=True):
    url: str
    headers: dict[str, str] = {}


class SlackConfig(Input, kw_only=True):
    url: str  # a Slack incoming-webhook URL


class TelegramConfig(Input, kw_only=True):
    bot_token: str
    chat_id: str | int
    api_url: str = "https://api.telegram.org"  # another Bot API server (or a test sink)


CONFIG_TYPES: dict[str, type[Input]] = {
    "webhook": WebhookConfig,
    "slack": SlackConfig,
    "telegram": TelegramConfig,
}


# -- rules -----------------------------------------------------------------------------------------
class Scope(Input, kw_only=True):
    """Exactly one of the three: the events of one experiment, of one flag's experiments, or of the
    experiments one user owns. A rule without a scope hears every experiment."""

    experiment: str | UnsetType = UNSET
    flag: str | UnsetType = UNSET
    owner: str | UnsetType = UNSET


class Rule(msgspec.Struct, kw_only=True):
    id: str
    event: NotificationEvent
    scope: dict[str, str] | None
    channel: str
    rate_limit_per_hour: int | None
    dedup_minutes: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class RuleSpec(Input, kw_only=True):
    event: NotificationEvent
    channel: str
    scope: Scope | None = None
    rate_limit_per_hour: int | None = None  # None: no limit
    dedup_minutes: int = 60


class RulePatch(Input, kw_only=True):
    event: NotificationEvent | UnsetType = UNSET
    channel: str | UnsetType = UNSET
    scope: Scope | UnsetType | None = UNSET
    rate_limit_per_hour: int | UnsetType | None = UNSET
    dedup_minutes: int | UnsetType = UNSET


# -- deliveries --------------------------------------------------------------------------------------
class Delivery(msgspec.Struct, kw_only=True):
    """One rule's delivery of one event: its status, attempts so far, and the last error."""

    id: str
    rule: str
    channel: str
    event: NotificationEvent
    experiment: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    response_status: int | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    payload: dict[str, Any]


class ChannelTestResult(msgspec.Struct, kw_only=True):
    """POST /notifications/channels/{key}/test: whether a test message got through, and if not, why."""

    channel: str
    sent: bool
    response_status: int | None
    error: str | None
