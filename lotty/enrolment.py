"""Enrolment state for the decide path, and the participation policy (SPEC §3).

Each subject's enrolments are packed into plain ints — experiment id, variant index and enrolment
second in one 60-bit number — keyed by the subject's 64-bit digest, so one enrolment costs a dict
slot and two small ints (measured by `lotty bench decide`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from lotty.tokens import subject_digest

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_SECONDS_BITS = 32
_VARIANT_BITS = 8
_SECONDS_MASK = (1 << _SECONDS_BITS) - 1
_VARIANT_MASK = (1 << _VARIANT_BITS) - 1
MAX_EXPERIMENT_ID = (1 << 20) - 1
_EXPERIMENT_SHIFT = _SECONDS_BITS + _VARIANT_BITS
_new_tuple = tuple.__new__


def subject_key(subject_id: str) -> int:
    """The 64-bit digest a subject is remembered by (SHA-256, first 8 bytes, big-endian).

    The same 8 bytes as the decision id's subject digest (`lotty.tokens.subject_digest`)."""
    return int.from_bytes(subject_digest(subject_id), "big")


def epoch_seconds(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds())


class Enrolment(NamedTuple):
    """One subject's enrolment (a NamedTuple: built on every decide, so it must be cheap)."""

    experiment: int
    variant: int
    enrolled_s: int  # seconds since EPOCH

    def pack(self) -> int:
        if not 0 <= self.experiment <= MAX_EXPERIMENT_ID or not 0 <= self.variant <= _VARIANT_MASK:
            raise ValueError(f"cannot pack {self}")
        return (
            (self.experiment << _EXPERIMENT_SHIFT)
            | (self.variant << _SECONDS_BITS)
            | (self.enrolled_s & _SECONDS_MASK)
        )

    @classmethod
    def unpack(cls, packed: int) -> Enrolment:
        return cls(
            packed >> _EXPERIMENT_SHIFT,
            (packed >> _SECONDS_BITS) & _VARIANT_MASK,
            packed & _SECONDS_MASK,
        )


class EnrolmentState:
    """subject digest → that subject's enrolments; mutated only under the decide lock."""

    def __init__(self) -> None:
        self._by_subject: dict[int, int | tuple[int, ...]] = {}
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_subject)

    def of(self, key: int) -> tuple[Enrolment, ...]:
        packed = self._by_subject.get(key)
        if packed is None:
            return ()
        # Enrolment.unpack inlined (runs on every decide): tuple.__new__ skips the Python __new__.
        return tuple(
            [
                _new_tuple(
                    Enrolment,
                    (p >> _EXPERIMENT_SHIFT, (p >> _SECONDS_BITS) & _VARIANT_MASK, p & _SECONDS_MASK),
                )
                for p in ((packed,) if isinstance(packed, int) else packed)
            ]
        )

    def add(self, key: int, enrolment: Enrolment, keep: Callable[[Enrolment], bool] | None = None) -> None:
        """Remember a new enrolment; `keep` drops old ones that no longer matter (ended, out of window)."""
        kept = [e for e in self.of(key) if e.experiment != enrolment.experiment and (keep is None or keep(e))]
        kept.append(enrolment)
        self._store(key, kept)

    def remove(self, key: int, experiment: int) -> None:
        """Forget one enrolment (used when its durable write failed)."""
        kept = [e for e in self.of(key) if e.experiment != experiment]
        if kept:
            self._store(key, kept)
        else:
            self._by_subject.pop(key, None)

    def _store(self, key: int, enrolments: list[Enrolment]) -> None:
        packed = [e.pack() for e in enrolments]
        self._by_subject[key] = packed[0] if len(packed) == 1 else tuple(packed)

    def load(self, rows: Iterable[tuple[int, Enrolment]]) -> None:
        """Bulk rebuild at start-up from (subject digest, enrolment) pairs."""
        for key, enrolment in rows:
            self.add(key, enrolment)


@dataclass(frozen=True, slots=True)
class ParticipationPolicy:
    """How much experimentation one subject may take (SPEC §3 participation policy)."""

    max_active_experiments: int = 3
    cooldown_after_enrolments: int = 10
    cooldown_window_hours: int = 24
    cooldown_hours: int = 1

    @property
    def window_s(self) -> int:
        return self.cooldown_window_hours * 3600

    def allows(self, enrolments: Iterable[Enrolment], is_active: Callable[[int], bool], now_s: int) -> bool:
        """Whether a subject with these enrolments may take one more at `now_s`.

        Active = enrolled in a running or paused experiment. Cooldown: when the Nth enrolment
        within any window of `cooldown_window_hours` happened at t, nothing new until t + cooldown.
        """
        enrolments = list(enrolments)
        active = sum(1 for e in enrolments if is_active(e.experiment))
        return self.admits(active, sorted(e.enrolled_s for e in enrolments), now_s)

    def admits(self, active: int, times: list[int], now_s: int) -> bool:
        """`allows` from its parts: the count of active enrolments and all enrolment times, sorted."""
        return active < self.max_active_experiments and now_s >= self.cooldown_ends_s(times)

    def cooldown_ends_s(self, times: list[int]) -> int:
        """When the latest cooldown ends (0 if none started); `times` sorted ascending."""
        n = self.cooldown_after_enrolments
        if n <= 0 or len(times) < n:
            return 0
        ends = 0
        for i in range(n - 1, len(times)):
            if times[i] - times[i - n + 1] < self.window_s:
                ends = times[i] + self.cooldown_hours * 3600
        return ends

    def still_matters(self, enrolment: Enrolment, is_active: Callable[[int], bool], now_s: int) -> bool:
        """An enrolment to keep in memory: live experiment, or inside the cooldown window."""
        return is_active(enrolment.experiment) or enrolment.enrolled_s > now_s - self.window_s
