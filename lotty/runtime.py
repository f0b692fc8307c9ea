"""The decide service: snapshot + enrolment state + group-committed writes, around `decide()`.

Thread-safe: the state is read and updated under one lock, so two concurrent calls for one
subject can never enrol it twice; a call returns only after its new enrolments are committed
(and, with LOTTY_DECISION_LOG=sync, its decisions).
"""

from __future__ import annotations

import logging
import operator
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from lotty.catalog.common import naive
from lotty.decision import decide
from lotty.decision_log import DecisionLogBuffer, value_text
from lotty.enrolment import Enrolment, EnrolmentState, ParticipationPolicy, epoch_seconds, subject_key
from lotty.metrics import ServerMetrics, new_reason_counts
from lotty.settings import Settings
from lotty.snapshot import ExperimentIds, Snapshot, load_snapshot
from lotty.store import Store
from lotty.store.writer import FactWriter
from lotty.tokens import issue_decision_ids, subject_digest

log = logging.getLogger("lotty.decide")
_claimed = operator.itemgetter(0, 3, 4, 5)
"""What a decision id carries of a `Decision`: (flag, experiment, experiment_version, variant)."""


class IssuedDecision(msgspec.Struct, frozen=True, kw_only=True):
    """A decision with its signed id: exactly what decide answers per flag (SPEC §3)."""

    flag: str
    value: Any
    reason: str
    decision_id: str
    experiment: str | None
    experiment_version: int | None
    variant: str | None


def policy_from(settings: Settings) -> ParticipationPolicy:
    return ParticipationPolicy(
        settings.max_active_experiments,
        settings.cooldown_after_enrolments,
        settings.cooldown_window_hours,
        settings.cooldown_hours,
    )


class DecideService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        secret: bytes,
        clock: Callable[[], datetime],
        writer: FactWriter,
        metrics: ServerMetrics | None = None,
    ):
        self._store = store
        self._secret = secret
        self._clock = clock
        self._writer = writer
        self._log_mode = settings.decision_log
        # LOTTY_DECISION_LOG=async: whoever owns the lake drains it (Lotty: a LakeDecisionLog).
        self.decision_log = DecisionLogBuffer() if self._log_mode == "async" else None
        self.policy = policy_from(settings)
        self._ids = ExperimentIds()
        self._pending: dict[tuple[int, int], Future[None]] = {}
        # Plain ints under the state lock: a prometheus-client counter would lock once per decision.
        self.decisions_by_reason = metrics.decisions_by_reason if metrics else new_reason_counts()
        self.state = EnrolmentState()
        self._snapshot_lock = threading.Lock()
        self.snapshot: Snapshot = load_snapshot(store, self._ids)
        self._load_enrolments()

    # -- catalog and state ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompile the snapshot after a catalog change and swap it in whole."""
        with self._snapshot_lock:
            self.snapshot = load_snapshot(self._store, self._ids)

    def _load_enrolments(self) -> None:
        now = self._clock()
        since = naive(now) - timedelta(hours=self.policy.cooldown_window_hours)
        with self._store.read() as tx:
            rows = tx.fetch_all("facts/live_enrolments", since=since)
        snapshot = self.snapshot
        live = {e.key: e for e in snapshot.live_by_index.values()}
        for row in rows:
            experiment = live.get(row["experiment"])
            variant = (
                experiment.variant_names.index(row["variant"])
                if experiment and row["variant"] in experiment.variant_names
                else 0
            )
            index = experiment.index if experiment else self._ids.of(row["experiment"])
            self.state.add(
                subject_key(row["subject_id"]),
                Enrolment(index, variant, epoch_seconds(row["enrolled_at"].replace(tzinfo=UTC))),
            )

    # -- the call ------------------------------------------------------------------------------
    def decide(
        self, subject_id: str, attributes: Mapping[str, Any], flags: Sequence[str] | None
    ) -> tuple[list[IssuedDecision], Future[None] | None]:
        """Decisions now, and a future to wait on before answering (None: nothing to wait for)."""
        now = self._clock()
        timestamp = now.timestamp()
        now_s, now_ms = epoch_seconds(now), int(timestamp * 1000)
        digest = subject_digest(subject_id)
        key = int.from_bytes(digest, "big")
        waits: list[Future[None]] = []
        with self.state.lock:
            snapshot = self.snapshot
            enrolments = self.state.of(key)
            outcome = decide(snapshot, enrolments, subject_id, attributes, flags, now_s, self.policy)
            decisions = outcome.decisions
            counts = self.decisions_by_reason
            for decision in decisions:
                counts[decision.reason] += 1
            if outcome.new_enrolments:
                is_active = snapshot.live_by_index.__contains__
                for new in outcome.new_enrolments:
                    self.state.add(
                        key,
                        Enrolment(new.experiment.index, new.variant_index, now_s),
                        keep=lambda e: self.policy.still_matters(e, is_active, now_s),
                    )
            if self._pending:
                # A sticky answer whose enrolment is still being written waits for that write too.
                for enrolment in enrolments:
                    pending = self._pending.get((key, enrolment.experiment))
                    if pending is not None:
                        waits.append(pending)
        ids = issue_decision_ids(self._secret, list(map(_claimed, decisions)), digest, now_ms)
        issued = [
            IssuedDecision(
                flag=flag,
                value=value,
                reason=reason,
                experiment=experiment,
                experiment_version=version,
                variant=variant,
                decision_id=decision_id,
            )
            for (flag, value, reason, experiment, version, variant), decision_id in zip(
                decisions, ids, strict=True
            )
        ]
        rows: dict[str, Sequence[Sequence[Any]]] = {}
        stamp = int(timestamp * 1_000_000)  # the writer's timestamps are epoch microseconds
        if outcome.new_enrolments:
            rows["enrolments"] = [
                (
                    n.experiment.key,
                    n.experiment.version,
                    subject_id,
                    n.variant,
                    stamp,
                    issued[n.flag_position].decision_id,
                )
                for n in outcome.new_enrolments
            ]
        if self._log_mode == "sync":
            rows["decisions"] = [
                (
                    i.decision_id,
                    stamp,
                    subject_id,
                    i.flag,
                    i.reason,
                    value_text(i.value),
                    i.experiment,
                    i.experiment_version,
                    i.variant,
                )
                for i in issued
            ]
        elif self.decision_log is not None:
            self.decision_log.append(subject_id, stamp, decisions, ids)
        if rows:
            written = self._writer.submit(rows)
            if outcome.new_enrolments:
                self._track(key, [n.experiment.index for n in outcome.new_enrolments], written)
            waits.append(written)
        return issued, _all_of(waits)

    def _track(self, key: int, experiments: list[int], written: Future[None]) -> None:
        for experiment in experiments:
            self._pending[(key, experiment)] = written

        def settle(future: Future[None]) -> None:
            with self.state.lock:
                for experiment in experiments:
                    if self._pending.get((key, experiment)) is future:
                        del self._pending[(key, experiment)]
                    if future.exception() is not None:
                        self.state.remove(key, experiment)

        written.add_done_callback(settle)


def _all_of(futures: list[Future[None]]) -> Future[None] | None:
    """One future that completes when all of `futures` have (failing if any failed)."""
    if not futures:
        return None
    if len(futures) == 1:
        return futures[0]
    combined: Future[None] = Future()
    remaining = [len(futures)]
    lock = threading.Lock()

    def one_done(future: Future[None]) -> None:
        with lock:
            remaining[0] -= 1
            if combined.done():
                return
            error = future.exception()
            if error is not None:
                combined.set_exception(error)
            elif remaining[0] == 0:
                combined.set_result(None)

    for future in futures:
        future.add_done_callback(one_done)
    return combined
