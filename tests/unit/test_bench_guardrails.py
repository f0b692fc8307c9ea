"""`lotty bench guardrails` runs end to end on tiny sizes, so it cannot rot (no timings asserted)."""

from __future__ import annotations

import re

from lotty.bench.guardrails_bench import RULES, generate, measure
from lotty.cli import main


def test_the_pass_covers_every_rule_of_every_experiment_and_one_experiment_alone(tmp_path):
    data_dir = tmp_path / "data"
    generate(data_dir, 20_000, 4)
    figures = measure(data_dir, runs=1)
    # one non-control variant per experiment: a value per rule and experiment, three for one alone
    assert figures["every_rows"] == 4 * len(RULES)
    assert figures["one_rows"] == len(RULES)
    assert figures["every"] > 0 and figures["one"] > 0 and figures["peak_rss_bytes"] > 0


def test_the_command_prints_both_passes_the_ratio_and_the_target(capsys):
    assert main(["bench", "guardrails", "--events", "10K", "--experiments", "2", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"guardrail pass, 2 experiments x 3 rules\s+[\d.]+ s\s+[\d.]+ s\s+[\d.]+x", out)
    assert "<= 3x" in out and "peak RSS" in out
