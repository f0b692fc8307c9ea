"""`lotty report EXPERIMENT`: the SPEC §5 report from the command line, on a data dir opened directly."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import msgspec

from lotty.errors import LottyError

FORMATS = ("json", "csv", "table")


def add_report_command(commands: Any) -> None:
    report = commands.add_parser("report", help="an experiment's report (metrics, lifts, SRM, series)")
    report.add_argument("experiment", help="experiment key")
    report.add_argument("--from", dest="from_", help="window start, RFC 3339, included (default: the start)")
    report.add_argument("--to", help="window end, RFC 3339, excluded (default: now)")
    report.add_argument("--bucket", default="hour", help="series bucket: minute, hour (default) or day")
    report.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    report.add_argument("--data-dir", type=Path, help="data directory (LOTTY_DATA_DIR, default ./data)")
    report.set_defaults(run=cmd_report)


def _open(data_dir: Path | None) -> Any:
    """The data dir's Lotty, read side only; a clear error when a server holds the database."""
    from lotty.instance import Lotty
    from lotty.settings import Settings

    settings = Settings.from_env(data_dir=data_dir)
    if not settings.database_path.exists():
        raise LottyError(f"no Lotty database in {settings.data_dir}: run `lotty init` first")
    try:
        return Lotty(settings, runtime=False)
    except Exception as exc:  # DuckDB refuses a second process: only lotty/store may name its errors
        if "lock" in str(exc).lower():
            raise LottyError(
                f"{settings.database_path} is held by a running server (DuckDB allows one process): "
                "ask it instead, GET /api/v1/experiments/EXPERIMENT/report, or stop it first"
            ) from None
        raise


def cmd_report(args: argparse.Namespace) -> int:
    from lotty.reports import instance_report, render_csv, render_table

    lotty = _open(args.data_dir)
    try:
        report, definitions = instance_report(lotty, args.experiment, args.from_, args.to, args.bucket)
    finally:
        lotty.close()
    if args.format == "json":
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(report).decode(), indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(render_csv(report, definitions))
    else:
        print(render_table(report, definitions))
    return 0
