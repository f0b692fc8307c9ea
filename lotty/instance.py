"""`Lotty`: the one plain object that holds a data dir's settings, store, keyring and clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lotty.auth import Keyring
from lotty.catalog.users import active_key_rows, bootstrap_admin
from lotty.decide_input import check_decide_input
from lotty.decision_log import LakeDecisionLog
from lotty.events.ingest import EventIngest
from lotty.metrics import ServerMetrics
from lotty.runtime import DecideService, IssuedDecision
from lotty.settings import Settings
from lotty.store import Store
from lotty.store.lake import Lake
from lotty.store.reader import export_catalog
from lotty.store.writer import FactWriter

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Lotty:
    """Opens (and migrates) the data dir's database; everything else is passed this object."""

    def __init__(self, settings: Settings, *, clock: Clock = utc_now, runtime: bool = True):
        self.settings = settings
        self.clock = clock
        self._closed = False
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.secret = settings.load_or_create_secret()
        self.store = Store(settings.database_path)
        self.store.migrate()
        self.keyring = Keyring()
        self.reload_keys()
        self.store.on_catalog_change(self.reload_keys)
        self.metrics = ServerMetrics()  # what /metrics shows for this data dir
        self.writer: FactWriter | None = None
        self._decider: DecideService | None = None
        self._events: EventIngest | None = None
        self._decision_log: LakeDecisionLog | None = None  # LOTTY_DECISION_LOG=async
        # Whoever opens the data dir owns it: reconcile the lake and point the views at its files,
        # so readers without the runtime (lotty report, guardrails backtest) see flushed rows too.
        self.lake = Lake(self.store)
        if runtime:
            self.writer = FactWriter(self.store, settings.journal_dir)
            self.metrics.watch_writer(self.writer)
            self.metrics.watch_lake(self.lake)
            export_catalog(self.store)  # readers outside the server (lotty.connect) use the export
            self.store.on_catalog_change(lambda: export_catalog(self.store))
            self._decider = DecideService(
                self.store, settings, self.secret, clock, self.writer, metrics=self.metrics
            )
            self.store.on_catalog_change(self._decider.refresh)
            if self._decider.decision_log is not None:
                self._decision_log = LakeDecisionLog(
                    self._decider.decision_log, self.lake, settings.flush_interval_seconds
                )
            self._events = EventIngest(self.store, self.secret, clock, self.writer)
            self.store.on_catalog_change(self._events.refresh)

    @property
    def decider(self) -> DecideService:
        if self._decider is None:
            raise RuntimeError("this Lotty was opened without the runtime (runtime=False)")
        return self._decider

    @property
    def events(self) -> EventIngest:
        if self._events is None:
            raise RuntimeError("this Lotty was opened without the runtime (runtime=False)")
        return self._events

    def flush_lake(self) -> dict[str, int]:
        """Apply the journal to DuckDB, move every hot fact row to the lake and write the async
        decision log's rows there too (rows per table)."""
        if self.writer is None:
            raise RuntimeError("this Lotty was opened without the runtime (runtime=False)")
        self.writer.flush()
        moved = self.lake.flush()
        if self._decision_log is not None:
            moved["decisions"] += self._decision_log.flush()
        return moved

    def reload_keys(self) -> None:
        self.keyring.replace(active_key_rows(self.store))

    def decide(
        self, subject_id: str, attributes: Mapping[str, Any] | None = None, flags: Sequence[str] | None = None
    ) -> list[IssuedDecision]:
        """Decide in-process (for services embedding Lotty); returns once new enrolments are durable."""
        check_decide_input(subject_id, attributes or {}, flags)
        issued, pending = self.decider.decide(subject_id, attributes or {}, flags)
        if pending is not None:
            pending.result()
        return issued

    def close(self) -> None:
        """Drain pending writes and close the database; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        if self.writer is not None:
            self.writer.close()
        if self._decision_log is not None:
            self._decision_log.close()
        self.lake.close()
        self.store.close()


def initialise(settings: Settings, api_key: str, *, clock: Clock = utc_now) -> tuple[bool, str | None]:
    """`lotty init`: migrate and create the first admin. (created?, admin user id)."""
    lotty = Lotty(settings, clock=clock, runtime=False)
    try:
        user_id = bootstrap_admin(lotty.store, api_key, lotty.clock())
        return user_id is not None, user_id
    finally:
        lotty.close()
