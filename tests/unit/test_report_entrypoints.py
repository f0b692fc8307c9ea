"""`lotty.report(...)` (Polars frames) and `lotty report` (CLI) on tests/report_world.py's events."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta

import polars as pl
import pytest

import lotty as lotty_package
from lotty.cli import main
from tests.report_world import METRIC_KEYS, T0, at, define, write_events

WINDOW = ["--from", "2026-11-21T13:00:00Z", "--to", "2026-11-21T15:00:00Z"]


@pytest.fixture
def world(lotty, admin, make_user, clock):
    define(admin, make_user("approver"))
    write_events(lotty)
    clock.now = T0 + timedelta(hours=5)
    return lotty


def test_report_as_polars_frames(world):
    frames = lotty_package.report("exp", at(0), "2026-11-21T15:00:00Z", using=world)
    assert frames.metrics.height == 2 * len(METRIC_KEYS)
    revenue = frames.metrics.filter((pl.col("variant") == "treat") & (pl.col("metric") == "revenue"))
    assert revenue.select("value", "n", "per_subject").row(0) == (150.0, 2, 75.0)
    assert revenue["lift"][0] == pytest.approx(2.75)
    assert frames.series.columns == ["bucket_start", "variant", "subjects", "metric", "value", "n"]
    assert frames.series.height == 2 * 2 * len(METRIC_KEYS)  # 2 hours x 2 variants x metrics
    assert frames.srm["observed"] == {"control": 3, "treat": 2}
    assert frames.report.experiment == "exp"


def test_report_uses_the_last_opened_instance(world, settings):
    world.close()
    opened = lotty_package.open(settings.data_dir)
    try:
        frames = lotty_package.report("exp", at(0), at(2), bucket="day")
        assert frames.series["bucket_start"].unique().to_list() == [T0.replace(hour=0)]
    finally:
        opened.close()


def test_cli_report_csv_and_json(world, settings, capsys):
    world.close()
    data_dir = ["--data-dir", str(settings.data_dir)]
    assert main(["report", "exp", *WINDOW, "--format", "csv", *data_dir]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["variant"], r["metric"], r["value"]) for r in rows][:2] == [
        ("control", "purchases", "3.0"),
        ("control", "buyers", repr(2 / 3)),
    ]
    assert main(["report", "exp", *WINDOW, "--format", "json", "--bucket", "day", *data_dir]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["srm"]["observed"] == {"control": 3, "treat": 2} and len(body["series"]) == 2
    assert main(["report", "exp", *WINDOW, *data_dir]) == 0  # the table
    table = capsys.readouterr().out
    assert "SRM p=0.6547" in table and "treat    revenue" in table


def test_cli_report_errors(world, settings, capsys):
    world.close()
    data_dir = ["--data-dir", str(settings.data_dir)]
    assert main(["report", "nope", *data_dir]) == 2
    assert "experiment 'nope' does not exist" in capsys.readouterr().err
    assert (
        main(["report", "exp", "--from", "2026-11-21T15:00:00Z", "--to", "2026-11-21T15:00:00Z", *data_dir])
        == 2
    )
    assert "window is empty" in capsys.readouterr().err
    assert main(["report", "exp", "--data-dir", str(settings.data_dir / "missing")]) == 2
    assert "lotty init" in capsys.readouterr().err


def test_cli_report_says_when_a_server_holds_the_database(world, settings):
    # `world` keeps the database open, as `lotty serve` would; DuckDB locks it against other processes
    done = subprocess.run(
        [sys.executable, "-m", "lotty.cli", "report", "exp", "--data-dir", str(settings.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "held by a running server" in done.stderr
