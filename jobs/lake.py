"""Lake jobs: move the hot tail to Parquet, and keep the files few and large."""

from __future__ import annotations

import logging

from lotty.instance import Lotty

log = logging.getLogger("lotty.jobs")


def flush_lake(lotty: Lotty) -> dict[str, int]:
    moved = lotty.flush_lake()
    if any(moved.values()):
        log.info("lake flush moved %s", moved)
    return moved


def compact_lake(lotty: Lotty) -> int:
    retired = lotty.lake.compact()
    removed = lotty.lake.vacuum()
    if retired or removed:
        log.info("lake compaction retired %d file(s), vacuum removed %d", retired, removed)
    return retired
