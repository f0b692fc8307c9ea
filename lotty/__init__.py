"""Lotty: feature flags and A/B experiments, warehouse-first on DuckDB.

Embedding Lotty in a Python service (it then owns its data dir, as `lotty serve` would):

    import lotty
    engine = lotty.open("data")
    for d in lotty.decide("u-42", {"country": "RU"}, ["button_color"]):
        print(d.flag, d.value, d.reason, d.decision_id)
    engine.close()
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Arrow's allocator, unless the host chose one (or imported pyarrow first): jemalloc, which Linux
# wheels of pyarrow carry. With pyarrow's default, mimalloc, about one small allocation in ten
# took 5 ms of CPU here: a stall on the core that serves decide calls (docs/decide.md).
if sys.platform == "linux":
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")

if TYPE_CHECKING:
    from lotty.instance import Lotty
    from lotty.reports import ReportFrames
    from lotty.runtime import IssuedDecision

_opened: list[Lotty] = []


def open(data_dir: str | Path | None = None, **settings: Any) -> Lotty:
    """Open a data dir in-process (settings from the environment, overridden by keywords)."""
    from lotty.instance import Lotty
    from lotty.settings import Settings

    instance = Lotty(Settings.from_env(data_dir=Path(data_dir) if data_dir else None, **settings))
    _opened.append(instance)
    return instance


def connect(data_dir: str | Path | None = None) -> Any:
    """An in-memory DuckDB with the SPEC's views over a data dir's lake, for analysts and notebooks.

    Safe while `lotty serve` runs on the data dir: it reads the Parquet lake and the catalog export,
    never lotty.duckdb, so it is at most one flush interval behind the server.
    """
    from lotty.settings import Settings
    from lotty.store.reader import connect as connect_lake

    settings = Settings.from_env(data_dir=Path(data_dir) if data_dir else None)
    return connect_lake(settings.data_dir / "lake")


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


def report(
    experiment: str,
    from_: datetime | str | None = None,
    to: datetime | str | None = None,
    *,
    bucket: str = "hour",
    using: Lotty | None = None,
) -> ReportFrames:
    """An experiment's report (SPEC §5) as Polars frames, from `using` (default: the last opened).

    `.metrics`: one row per variant x metric (the CSV's rows); `.series`: one row per bucket x
    variant x metric; `.srm`; `.report`: the report itself. Window [from_, to), RFC 3339 or datetime.
    """
    from lotty.reports import instance_report, report_frames

    instance = using if using is not None else (_opened[-1] if _opened else None)
    if instance is None:
        raise RuntimeError("no Lotty is open: call lotty.open(data_dir) first")
    return report_frames(*instance_report(instance, experiment, from_, to, bucket))
