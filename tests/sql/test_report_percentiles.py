"""The percentile arm of reports/variant_statistics agrees with lotty.stats.quantile_ci_ranks and
with numpy's linear quantile, for many sample sizes (the SQL computes the order-statistic ranks)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from lotty.stats import norm_ppf, order_statistic_ranks, quantile_ci_ranks
from lotty.store import Store

T0 = datetime(2026, 11, 1)
SIZES = (1, 2, 3, 4, 7, 10, 25, 37, 100, 101, 999)
PERCENTILES = (0.05, 0.5, 0.9, 0.99)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    instance = Store(tmp_path_factory.mktemp("percentiles") / "lotty.duckdb")
    instance.migrate()
    cursor = instance.cursor()
    cursor.execute(
        "INSERT INTO event_types VALUES ('latency', '', false, '{}', false, false, $t, $t)", {"t": T0}
    )
    rng = np.random.default_rng(3)
    for n in SIZES:  # one exposed subject per variant `v<n>` with n latency values
        subject = f"s{n}"
        cursor.execute(
            "INSERT INTO events_hot VALUES ($id, 'exposure', $d, $s, 'f', 'exp', 1, $v, $t, $t, '{}')",
            {"id": f"x{n}", "d": f"d{n}", "s": subject, "v": f"v{n}", "t": T0},
        )
        for i, value in enumerate(np.round(rng.lognormal(3, 1, n), 3)):
            cursor.execute(
                "INSERT INTO events_hot VALUES ($id, 'latency', $d, $s, 'f', 'exp', 1, $v, $t, $t, $p)",
                {
                    "id": f"e{n}-{i}",
                    "d": f"d{n}",
                    "s": subject,
                    "v": f"v{n}",
                    "t": T0 + timedelta(seconds=i),
                    "p": f'{{"ms": {value}}}',
                },
            )
    yield instance
    instance.close()


def test_percentile_rows_match_quantile_ci_ranks(store):
    metrics = [
        {"metric": f"p{p}", "kind": "percentile", "event_type": "latency", "property": "ms", "percentile": p}
        for p in PERCENTILES
    ]
    with store.read() as tx:
        rows = tx.fetch_all(
            "reports/variant_statistics",
            experiment="exp",
            from_ts=T0,
            to_ts=T0 + timedelta(days=1),
            bucket="day",
            z=norm_ppf(0.975),
            metrics=metrics,
        )
    cursor = store.cursor()
    window = {(r["metric"], r["variant"]): r for r in rows if r["metric"] and r["bucket_start"] is None}
    for n in SIZES:
        xs = np.array(
            sorted(
                v
                for (v,) in cursor.execute(
                    "SELECT CAST(properties->>'$.ms' AS DOUBLE) FROM events_hot WHERE variant = $v"
                    " AND event_type = 'latency'",
                    {"v": f"v{n}"},
                ).fetchall()
            )
        )
        for p in PERCENTILES:
            row = window[f"p{p}", f"v{n}"]
            low, high = order_statistic_ranks(n, p)
            assert row["units"] == n
            assert (row["level_low"], row["level_high"]) == quantile_ci_ranks(n, p), (n, p)
            assert (row["lower"], row["upper"]) == (xs[low - 1], xs[high - 1]), (n, p)
            assert row["value"] == pytest.approx(np.quantile(xs, p), rel=1e-12), (n, p)
