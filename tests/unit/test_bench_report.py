"""`lotty bench report` runs end to end on tiny sizes, hot and in the lake (no timings asserted)."""

from __future__ import annotations

import re

from lotty.bench.report_bench import flush, generate, measure
from lotty.cli import main


def test_the_same_events_give_the_same_population_and_series_hot_and_in_the_lake(tmp_path):
    data_dir = tmp_path / "data"
    generate(data_dir, 20_000)
    hot = measure(data_dir, runs=1)
    flush(data_dir)
    assert list((data_dir / "lake" / "events").glob("*/*.parquet"))  # the events left events_hot
    lake = measure(data_dir, runs=1)
    assert hot["subjects"] == lake["subjects"] == 1_000
    assert hot["series_points"] == lake["series_points"] > 0


def test_the_command_prints_each_placement_and_refuses_an_unknown_one(capsys):
    assert main(["bench", "report", "--sizes", "10K", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    for where in ("in events_hot", "in the lake"):
        assert re.search(
            rf"10,000 events {where}.*\n(.*\n)*?.*full report.*\s[\d.]+ s\s+[\d.]+ s\s+[\d.]+x", out
        )
    assert main(["bench", "report", "--sizes", "10K", "--placement", "cold"]) == 2
    assert "--placement" in capsys.readouterr().err
