"""Printing benchmark figures: medians of repeated runs, side by side, with ratios."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(title: str, rows: list[tuple[str, str, str, str]]) -> str:
    """rows: (measure, lotty, baseline, ratio) already formatted."""
    header = ("measure", "lotty", "baseline", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)
