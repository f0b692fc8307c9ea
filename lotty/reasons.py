"""Decide's reason codes (SPEC §3, in the order they are checked) and the `Decision` a flag gets.

Apart from `lotty.decision` so that the snapshot can build, once per catalog change, the decisions
that do not depend on the subject (every default and every variant of a running experiment).
"""

from __future__ import annotations

from typing import Any, NamedTuple

FLAG_NOT_FOUND = "flag_not_found"
NO_ACTIVE_EXPERIMENT = "no_active_experiment"
EXPERIMENT_PAUSED = "experiment_paused"
EXPERIMENT_ASSIGNED = "experiment_assigned"
TARGETING_MISMATCH = "targeting_mismatch"
OUTSIDE_TRAFFIC = "outside_traffic_allocation"
DOMAIN_CONFLICT = "domain_conflict"
PARTICIPATION_LIMIT = "participation_limit"
REASONS = (
    FLAG_NOT_FOUND,
    NO_ACTIVE_EXPERIMENT,
    EXPERIMENT_PAUSED,
    EXPERIMENT_ASSIGNED,
    TARGETING_MISMATCH,
    OUTSIDE_TRAFFIC,
    DOMAIN_CONFLICT,
    PARTICIPATION_LIMIT,
)


class Decision(NamedTuple):
    """One flag's answer before its decision id is issued."""

    flag: str
    value: Any
    reason: str
    experiment: str | None = None
    experiment_version: int | None = None
    variant: str | None = None
