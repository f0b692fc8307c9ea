"""The decide snapshot: the catalog compiled for the hot path, immutable, swapped whole.

Built after every catalog change; decide reads one snapshot per call and never the database.
Everything about a flag's answer that does not depend on the subject is built here once: each
flag's plan holds the answer when no experiment runs, or the running experiment with its
default-valued answers by reason, and each experiment holds its answer per variant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from lotty.bucketing import Allocation
from lotty.catalog.common import from_json
from lotty.reasons import (
    DOMAIN_CONFLICT,
    EXPERIMENT_ASSIGNED,
    EXPERIMENT_PAUSED,
    NO_ACTIVE_EXPERIMENT,
    OUTSIDE_TRAFFIC,
    PARTICIPATION_LIMIT,
    TARGETING_MISMATCH,
    Decision,
)
from lotty.store import Store
from lotty.targeting import Rule, compile_rule


@dataclass(frozen=True, slots=True)
class FlagEntry:
    key: str
    type: str
    default: Any


@dataclass(frozen=True, slots=True)
class LiveExperiment:
    """A running or paused experiment, ready to evaluate."""

    index: int  # process-wide small integer id (see ExperimentIds), used by the enrolment state
    key: str
    flag: str
    status: str
    version: int
    rule: Rule | None
    allocation: Allocation
    variant_names: tuple[str, ...]
    variant_values: tuple[Any, ...]
    domains: frozenset[str]
    priority: int
    started_at: datetime | None
    # Derived from the fields above when the experiment is built:
    running: bool = field(init=False, repr=False, compare=False)
    precedence: tuple[int, datetime, str] = field(init=False, repr=False, compare=False)
    """Sort key: higher priority first, then the earlier start, then the key (SPEC §3)."""
    assigned: tuple[Decision, ...] = field(init=False, repr=False, compare=False)
    """The `experiment_assigned` answer for each variant, by variant index."""

    def __post_init__(self) -> None:
        derived = {
            "running": self.status == "running",
            "precedence": (-self.priority, self.started_at or datetime.max, self.key),
            "assigned": tuple(
                Decision(self.flag, value, EXPERIMENT_ASSIGNED, self.key, self.version, name)
                for name, value in zip(self.variant_names, self.variant_values, strict=True)
            ),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)


class ExperimentIds:
    """Interns experiment keys as small integers for the lifetime of the process."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def of(self, key: str) -> int:
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self._ids)
        return found


@dataclass(frozen=True, slots=True)
class FlagPlan:
    """One flag's decide work, prebuilt. Either `settled` is the answer for every subject (no
    experiment runs on the flag, or it is paused), or `experiment` is the running experiment and
    `refusals` its default-valued answer for each reason a subject may get the flag default."""

    settled: Decision | None
    experiment: LiveExperiment | None
    refusals: Mapping[str, Decision]


def flag_plan(flag: FlagEntry, experiment: LiveExperiment | None) -> FlagPlan:
    if experiment is None:
        return FlagPlan(Decision(flag.key, flag.default, NO_ACTIVE_EXPERIMENT), None, {})
    if not experiment.running:
        paused = Decision(flag.key, flag.default, EXPERIMENT_PAUSED, experiment.key, experiment.version)
        return FlagPlan(paused, None, {})
    refusals = {
        reason: Decision(flag.key, flag.default, reason, experiment.key, experiment.version)
        for reason in (TARGETING_MISMATCH, OUTSIDE_TRAFFIC, DOMAIN_CONFLICT, PARTICIPATION_LIMIT)
    }
    return FlagPlan(None, experiment, refusals)


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    flags: Mapping[str, FlagEntry]
    live_by_flag: Mapping[str, LiveExperiment]
    live_by_index: Mapping[int, LiveExperiment]
    # Running experiments per conflict domain, in precedence order.
    running_by_domain: Mapping[str, tuple[LiveExperiment, ...]] = field(default_factory=dict)
    flag_keys: tuple[str, ...] = ()
    # Derived: each flag's plan, by flag key.
    plans: Mapping[str, FlagPlan] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        plans = {key: flag_plan(flag, self.live_by_flag.get(key)) for key, flag in self.flags.items()}
        object.__setattr__(self, "plans", MappingProxyType(plans))

    @classmethod
    def build(cls, version: int, flags: list[FlagEntry], live: list[LiveExperiment]) -> Snapshot:
        by_domain: dict[str, list[LiveExperiment]] = {}
        for experiment in live:
            if experiment.running:
                for domain in experiment.domains:
                    by_domain.setdefault(domain, []).append(experiment)
        return cls(
            version=version,
            flags=MappingProxyType({f.key: f for f in flags}),
            live_by_flag=MappingProxyType({e.flag: e for e in live}),
            live_by_index=MappingProxyType({e.index: e for e in live}),
            running_by_domain=MappingProxyType(
                {d: tuple(sorted(es, key=lambda e: e.precedence)) for d, es in by_domain.items()}
            ),
            flag_keys=tuple(sorted(f.key for f in flags)),
        )


def live_experiment(row: dict[str, Any], index: int) -> LiveExperiment:
    variants = row["variants"] or []
    return LiveExperiment(
        index=index,
        key=row["key"],
        flag=row["flag"],
        status=row["status"],
        version=row["version"],
        rule=compile_rule(row["targeting"]),
        allocation=Allocation.from_percents(row["traffic"], [v["weight"] for v in variants]),
        variant_names=tuple(v["name"] for v in variants),
        variant_values=tuple(from_json(v["value"]) for v in variants),
        domains=frozenset(row["domains"] or ()),
        priority=row["priority"],
        started_at=row["started_at"],  # naive UTC, as stored; only compared with its peers
    )


def load_snapshot(store: Store, ids: ExperimentIds) -> Snapshot:
    with store.read() as tx:
        version = store.catalog_version
        flag_rows = tx.fetch_all("decide/flags")
        live_rows = tx.fetch_all("decide/live_experiments")
    flags = [FlagEntry(r["key"], r["type"], from_json(r["default_value"])) for r in flag_rows]
    live = [live_experiment(r, ids.of(r["key"])) for r in live_rows]
    return Snapshot.build(version, flags, live)
