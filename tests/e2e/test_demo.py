"""`lotty demo`: the first five minutes — a seeded data dir whose report shows a real lift, and a
guardrail-stopped experiment."""

from __future__ import annotations

import json

import pytest

from tests.e2e.server import free_port, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_demo_seeds_a_lift_and_a_guardrail_stop(tmp_path):
    data_dir = tmp_path / "data"
    demo = run_cli(
        "demo", "--data-dir", str(data_dir), "--port", str(free_port()), "--subjects", "1500", "--no-serve"
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "admin key: lotty_" in demo.stdout
    assert "/api/v1/experiments/checkout-cta/report" in demo.stdout
    assert "search-v2 is now completed" in demo.stdout
    assert (
        "notification received (guardrail_triggered): Experiment 'search-v2' was rolled back" in demo.stdout
    )
    report = json.loads(
        run_cli("report", "checkout-cta", "--data-dir", str(data_dir), "--format", "json").stdout
    )
    red = next(v for v in report["variants"] if v["variant"] == "red")
    assert red["metrics"]["purchase_rate"]["significant"] and red["metrics"]["purchase_rate"]["lift"] > 0
    assert not report["srm"]["mismatch"]
    rows = run_cli(
        "sql",
        "--data-dir",
        str(data_dir),
        "-c",
        "SELECT count(*) AS n FROM exposures WHERE experiment = 'search-v2'",
        "--format",
        "csv",
    )
    assert int(rows.stdout.splitlines()[1]) > 0
    again = run_cli("demo", "--data-dir", str(data_dir), "--no-serve", "--port", "1")
    assert "already initialised" in again.stdout
