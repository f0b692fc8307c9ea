"""Lotty: feature flags and A/B experiments, warehouse-first on DuckDB.

Embedding Lotty in a Python service (it then owns its data dir, as `lotty serve` would):

    import lotty
    engine = lotty.open("data")
    for d in lotty.decide("u-42", {"country": "RU"}, ["button_color"]):
        print(d.flag, d.value, d.reason, d.decision_id)
    engine.close()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from lotty.instance import Lotty
    from lotty.runtime import IssuedDecision

_opened: list[Lotty] = []


def open(data_dir: str | Path | None = None, **settings: Any) -> Lotty:
    """Open a data dir in-process (settings from the environment, overridden by keywords)."""
    from lotty.instance import Lotty
    from lotty.settings import Settings

    instance = Lotty(Settings.from_env(data_dir=Path(data_dir) if data_dir else None, **settings))
    _opened.append(instance)
    return instance


def decide(
    subject_id: str,
    attributes: Mapping[str, Any] | None = None,
    flags: Sequence[str] | None = None,
    *,
    using: Lotty | None = None,
) -> list[IssuedDecision]:
    """Decisions for a subject from the instance `using` (default: the last one opened).

    Returns once any new enrolment is durable, exactly like POST /api/v1/decide.
    """
    instance = using if using is not None else (_opened[-1] if _opened else None)
    if instance is None:
        raise RuntimeError("no Lotty is open: call lotty.open(data_dir) first")
    return instance.decide(subject_id, attributes, flags)
