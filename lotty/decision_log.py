"""The asynchronous decision log's buffer (LOTTY_DECISION_LOG=async, the default).

A decide call's decisions repeat a handful of outcomes (flag, reason, value, experiment, version,
variant), so each is interned once as a small integer code: per call the buffer keeps the decision
ids, the codes, and the subject and time once. The fact writer drains it into one Arrow batch
every few tens of milliseconds; the repeated columns are then built by index (`take`) from the
outcome table instead of converting six strings per row from Python objects, which was most of
the writer's work per decision.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

from lotty.store.facts import FACT_SCHEMAS

_SCHEMA = FACT_SCHEMAS["decisions"]
_encode_json = msgspec.json.Encoder().encode
MAX_OUTCOMES = 100_000  # the outcome table restarts past this (outcomes are few; this bounds misuse)
Outcome = tuple[str, str, str, str | None, int | None, str | None]  # flag, reason, value JSON, ...


class DecisionLogBuffer:
    """Decisions waiting to be applied to `decisions_hot`; appended from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes_by_outcome: dict[Outcome, int] = {}
        self._outcomes: list[Outcome] = []
        self._reset()

    def _reset(self) -> None:
        self._ids: list[str] = []
        self._codes: list[int] = []
        self._subjects: list[str] = []
        self._stamps: list[int] = []
        self._counts: list[int] = []

    def append(self, subject_id: str, stamp: int, decisions: Sequence[Any]) -> None:
        """One call's decisions (objects with flag, reason, value, experiment, experiment_version,
        variant and decision_id), made for `subject_id` at `stamp` (epoch microseconds)."""
        outcomes = [
            (d.flag, d.reason, _encode_json(d.value).decode(), d.experiment, d.experiment_version, d.variant)
            for d in decisions
        ]
        with self._lock:
            codes_by_outcome = self._codes_by_outcome
            for outcome in outcomes:
                code = codes_by_outcome.get(outcome)
                if code is None:
                    code = codes_by_outcome[outcome] = len(self._outcomes)
                    self._outcomes.append(outcome)
                self._codes.append(code)
            self._ids.extend(d.decision_id for d in decisions)
            self._subjects.append(subject_id)
            self._stamps.append(stamp)
            self._counts.append(len(decisions))

    def drain(self) -> pa.RecordBatch | None:
        """Everything appended so far as one batch in FACT_SCHEMAS["decisions"] order (None: nothing)."""
        with self._lock:
            if not self._ids:
                return None
            ids, codes, subjects, stamps, counts = (
                self._ids,
                self._codes,
                self._subjects,
                self._stamps,
                self._counts,
            )
            outcomes = self._outcomes
            self._reset()
            if len(outcomes) > MAX_OUTCOMES:
                self._codes_by_outcome, self._outcomes = {}, []
        call_of_row = pa.array(np.repeat(np.arange(len(counts)), counts))
        code_of_row = pa.array(codes, type=pa.int32())
        flag, reason, value, experiment, version, variant = (
            pa.array(column, type=_SCHEMA.field(name).type).take(code_of_row)
            for column, name in zip(
                zip(*outcomes, strict=True),
                ("flag", "reason", "value", "experiment", "experiment_version", "variant"),
                strict=True,
            )
        )
        columns = {
            "decision_id": pa.array(ids, type=pa.string()),
            "decided_at": pa.array(stamps, type=_SCHEMA.field("decided_at").type).take(call_of_row),
            "subject_id": pa.array(subjects, type=pa.string()).take(call_of_row),
            "flag": flag,
            "reason": reason,
            "value": value,
            "experiment": experiment,
            "experiment_version": version,
            "variant": variant,
        }
        return pa.RecordBatch.from_arrays([columns[name] for name in _SCHEMA.names], schema=_SCHEMA)
