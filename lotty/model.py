"""Catalog entities and the inputs that create or change them (msgspec Structs).

Outputs are what the admin API returns; `*Spec` are create inputs and `*Patch` partial updates
(`UNSET` = not given). Shape checks (types, enums, unknown fields) happen when msgspec decodes an
input; rules that need the catalog live in `lotty/catalog/`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

Role = Literal["admin", "experimenter", "approver", "viewer", "sdk"]
FlagType = Literal["string", "number", "boolean", "json"]
PropertyType = Literal["string", "number", "boolean", "timestamp"]
MetricKind = Literal["count", "conversion", "ratio", "sum", "average", "percentile"]
Status = Literal["draft", "in_review", "approved", "rejected", "running", "paused", "completed", "archived"]
OutcomeKind = Literal["rollout_winner", "rollback", "no_effect"]
Operator = Literal[">", ">=", "<", "<="]
GuardrailAction = Literal["pause", "rollback"]
ReviewDecision = Literal["approve", "request_changes", "reject"]

ROLES: tuple[str, ...] = ("admin", "experimenter", "approver", "viewer", "sdk")


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: unknown fields are an error, not silently dropped."""


# -- users and keys ----------------------------------------------------------------------------
class ApiKeyInfo(msgspec.Struct, kw_only=True):
    id: str
    created_at: datetime
    revoked_at: datetime | None = None


class User(msgspec.Struct, kw_only=True):
    id: str
    name: str
    role: Role
    created_at: datetime
    updated_at: datetime
    keys: list[ApiKeyInfo] = []


class CreatedUser(msgspec.Struct, kw_only=True):
    """The answer to creating a user: the only time its key is shown."""

    id: str
    name: str
    role: Role
    api_key: str
    key_id: str
    created_at: datetime


class CreatedKey(msgspec.Struct, kw_only=True):
    id: str
    user_id: str
    api_key: str
    created_at: datetime


class UserSpec(Input, kw_only=True):
    name: str
    role: Role


class UserPatch(Input, kw_only=True):
    name: str | UnsetType = UNSET
    role: Role | UnsetType = UNSET


class ApproverGroup(msgspec.Struct, kw_only=True):
    user_id: str
    approvers: list[str]
    min_approvals: int
    updated_at: datetime | None = None


class ApproverGroupSpec(Input, kw_only=True):
    approvers: list[str]
    min_approvals: int


# -- flags -------------------------------------------------------------------------------------
class Flag(msgspec.Struct, kw_only=True):
    key: str
    type: FlagType
    default: Any
    description: str
    created_at: datetime
    updated_at: datetime


class FlagSpec(Input, kw_only=True):
    key: str
    type: FlagType
    default: Any
    description: str = ""


class FlagPatch(Input, kw_only=True):
    default: Any = UNSET
    description: str | UnsetType = UNSET


# -- event types -------------------------------------------------------------------------------
class PropertySpec(Input, kw_only=True):
    type: PropertyType
    required: bool = False


class EventType(msgspec.Struct, kw_only=True):
    key: str
    description: str
    requires_exposure: bool
    properties: dict[str, PropertySpec]
    archived: bool
    builtin: bool
    created_at: datetime
    updated_at: datetime


class EventTypeSpec(Input, kw_only=True):
    key: str
    description: str = ""
    requires_exposure: bool = True
    properties: dict[str, PropertySpec] = {}


class EventTypePatch(Input, kw_only=True):
    description: str | UnsetType = UNSET
    requires_exposure: bool | UnsetType = UNSET
    properties: dict[str, PropertySpec] | UnsetType = UNSET


# -- metrics -----------------------------------------------------------------------------------
class Metric(msgspec.Struct, kw_only=True):
    key: str
    name: str
    description: str
    kind: MetricKind
    event_type: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    property: str | None = None
    percentile: float | None = None
    higher_is_better: bool
    archived: bool
    builtin: bool
    created_at: datetime
    updated_at: datetime


class MetricSpec(Input, kw_only=True):
    key: str
    name: str | None = None
    description: str = ""
    kind: MetricKind
    event_type: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    property: str | None = None
    percentile: float | None = None
    higher_is_better: bool = True


class MetricPatch(Input, kw_only=True):
    name: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    higher_is_better: bool | UnsetType = UNSET
    event_type: str | UnsetType | None = UNSET
    numerator: str | UnsetType | None = UNSET
    denominator: str | UnsetType | None = UNSET
    property: str | UnsetType | None = UNSET
    percentile: float | UnsetType | None = UNSET


# -- experiments -------------------------------------------------------------------------------
class Variant(Input, kw_only=True):
    name: str
    value: Any
    weight: float
    control: bool = False


class Outcome(msgspec.Struct, kw_only=True):
    outcome: OutcomeKind
    winner: str | None
    comment: str
    decided_by: str
    decided_at: datetime


class Experiment(msgspec.Struct, kw_only=True):
    key: str
    flag: str
    name: str
    hypothesis: str
    status: Status
    version: int
    traffic: float
    variants: list[Variant]
    targeting: str | None
    primary_metric: str | None
    metrics: list[str]
    domains: list[str]
    priority: int
    owner: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    outcome: Outcome | None


class ExperimentVersion(msgspec.Struct, kw_only=True):
    """One immutable version of an experiment's definition."""

    experiment: str
    version: int
    name: str
    hypothesis: str
    traffic: float
    variants: list[Variant]
    targeting: str | None
    primary_metric: str | None
    metrics: list[str]
    domains: list[str]
    priority: int
    created_by: str
    created_at: datetime


class ExperimentSpec(Input, kw_only=True):
    key: str
    flag: str
    name: str | None = None
    hypothesis: str = ""
    traffic: float = 100.0
    variants: list[Variant]
    targeting: str | None = None
    primary_metric: str | None = None
    metrics: list[str] = []
    domains: list[str] = []
    priority: int = 0


class ExperimentPatch(Input, kw_only=True):
    name: str | UnsetType = UNSET
    hypothesis: str | UnsetType = UNSET
    traffic: float | UnsetType = UNSET
    variants: list[Variant] | UnsetType = UNSET
    targeting: str | UnsetType | None = UNSET
    primary_metric: str | UnsetType | None = UNSET
    metrics: list[str] | UnsetType = UNSET
    domains: list[str] | UnsetType = UNSET
    priority: int | UnsetType = UNSET


class CommentInput(Input, kw_only=True):
    comment: str | None = None


class CompletionInput(Input, kw_only=True):
    outcome: OutcomeKind
    winner: str | None = None
    comment: str
    promote: bool = False


class Review(msgspec.Struct, kw_only=True):
    id: str
    experiment: str
    version: int
    reviewer: str
    decision: ReviewDecision
    comment: str | None
    created_at: datetime


# -- guardrails --------------------------------------------------------------------------------
class Guardrail(msgspec.Struct, kw_only=True):
    id: str
    experiment: str
    metric: str
    operator: Operator
    threshold: float
    window_minutes: int
    action: GuardrailAction
    min_samples: int
    created_at: datetime
    updated_at: datetime


class GuardrailSpec(Input, kw_only=True):
    metric: str
    operator: Operator
    threshold: float
    window_minutes: int
    action: GuardrailAction
    min_samples: int = 0


class GuardrailPatch(Input, kw_only=True):
    metric: str | UnsetType = UNSET
    operator: Operator | UnsetType = UNSET
    threshold: float | UnsetType = UNSET
    window_minutes: int | UnsetType = UNSET
    action: GuardrailAction | UnsetType = UNSET
    min_samples: int | UnsetType = UNSET


# -- audit -------------------------------------------------------------------------------------
class AuditEntry(msgspec.Struct, kw_only=True):
    id: int
    at: datetime
    actor: str
    entity: str
    entity_key: str
    action: str
    before: Any
    after: Any
    comment: str | None


T = TypeVar("T")


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a list: `next_cursor` is opaque and null on the last page."""

    items: list[T]
    next_cursor: str | None
