"""`lotty sql` and `lotty compact` on a real data dir."""

from __future__ import annotations

import json
import subprocess
import sys

from lotty.auth import SYSTEM
from lotty.catalog import flags
from lotty.instance import Lotty
from lotty.model import FlagSpec
from lotty.settings import Settings
from tests.e2e.server import ROOT, run_cli


def _data_dir_with_lake(tmp_path, rounds: int = 3):
    data_dir = tmp_path / "data"
    instance = Lotty(Settings(data_dir=data_dir, secret="s" * 32, decision_log="sync"))
    flags.create_flag(
        instance.store, SYSTEM, FlagSpec(key="plain", type="string", default="x"), instance.clock()
    )
    for round_ in range(rounds):
        for i in range(4):
            instance.decide(f"u-{round_}-{i}", {}, ["plain"])
        instance.flush_lake()
    instance.close()
    return data_dir


def test_sql_answers_as_csv_json_and_table(tmp_path):
    data_dir = _data_dir_with_lake(tmp_path)
    query = "SELECT flag, count(*) AS n FROM decisions GROUP BY flag"
    csv = run_cli("sql", "--data-dir", str(data_dir), "-c", query, "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines() == ["flag,n", "plain,12"]
    as_json = run_cli("sql", "--data-dir", str(data_dir), "-c", query, "--format", "json")
    assert json.loads(as_json.stdout) == [{"flag": "plain", "n": 12}]
    table = run_cli("sql", "--data-dir", str(data_dir), "-c", query)
    assert "plain" in table.stdout and "12" in table.stdout
    bad = run_cli("sql", "--data-dir", str(data_dir), "-c", "SELECT nope FROM decisions")
    assert bad.returncode == 1 and "nope" in bad.stderr


def test_sql_reads_statements_from_stdin(tmp_path):
    data_dir = _data_dir_with_lake(tmp_path, rounds=1)
    result = subprocess.run(
        [sys.executable, "-m", "lotty.cli", "sql", "--data-dir", str(data_dir), "--format", "csv"],
        input="SELECT count(*) AS n\nFROM decisions;\n\\q\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", "4"]


def test_compact_merges_files_and_keeps_every_row(tmp_path):
    data_dir = _data_dir_with_lake(tmp_path, rounds=3)
    before = list((data_dir / "lake" / "decisions").rglob("*.parquet"))
    assert len(before) == 3
    result = run_cli("compact", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "merged 3 files" in result.stdout
    assert len(list((data_dir / "lake" / "decisions").rglob("*.parquet"))) == 1
    count = run_cli(
        "sql", "--data-dir", str(data_dir), "-c", "SELECT count(*) AS n FROM decisions", "--format", "csv"
    )
    assert count.stdout.splitlines() == ["n", "12"]
