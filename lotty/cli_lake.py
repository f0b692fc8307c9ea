"""`lotty sql` and `lotty compact`: working with a data dir's lake from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

import msgspec
import polars as pl

from lotty.errors import LottyError

FORMATS = ("table", "csv", "json")


def add_lake_commands(commands: Any) -> None:
    sql = commands.add_parser("sql", help="query the lake with SQL (interactive, or -c QUERY)")
    sql.add_argument("-c", "--command", help="run one query and exit")
    sql.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    sql.add_argument("--data-dir", type=Path, help="data directory (LOTTY_DATA_DIR, default ./data)")
    sql.set_defaults(run=cmd_sql)

    compact = commands.add_parser("compact", help="merge small lake files (the server also does it hourly)")
    compact.add_argument("--data-dir", type=Path, help="data directory (LOTTY_DATA_DIR, default ./data)")
    compact.set_defaults(run=cmd_compact)


def cmd_sql(args: argparse.Namespace) -> int:
    import lotty

    try:
        connection = lotty.connect(args.data_dir)
    except FileNotFoundError as exc:
        raise LottyError(str(exc)) from None
    if args.command:
        return _run(connection, args.command, args.format, sys.stdout)
    print(
        "lotty sql: views decisions, enrolments, events, exposures, attributed_events, pending_events; "
        "end a statement with ';', quit with \\q or Ctrl-D",
        file=sys.stderr,
    )
    buffered: list[str] = []
    for line in sys.stdin:
        if line.strip() in ("\\q", "quit", "exit"):
            break
        buffered.append(line)
        if line.rstrip().endswith(";"):
            _run(connection, "".join(buffered), args.format, sys.stdout)
            buffered = []
    if "".join(buffered).strip():
        _run(connection, "".join(buffered), args.format, sys.stdout)
    return 0


def _run(connection: Any, query: str, output: str, out: TextIO) -> int:
    try:
        relation = connection.sql(query)
    except Exception as exc:  # DuckDB's own message says what is wrong with the query
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if relation is None:  # a statement without a result (SET, CREATE VIEW ...)
        return 0
    frame = pl.from_arrow(relation.to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    if output == "csv":
        out.write(frame.write_csv())
    elif output == "json":
        out.write(msgspec.json.encode(frame.to_dicts()).decode() + "\n")
    else:
        with pl.Config(tbl_rows=100, tbl_cols=30, fmt_str_lengths=60):
            out.write(f"{frame}\n")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    from lotty.instance import Lotty
    from lotty.settings import Settings

    settings = Settings.from_env(data_dir=args.data_dir)
    try:
        instance = Lotty(settings)
    except Exception as exc:  # DuckDB refuses a second writer: a server owns the data dir
        if "lock" in str(exc).lower():
            raise LottyError(
                f"{settings.data_dir} is in use by a running server, which compacts the lake "
                "hourly; stop it to compact now"
            ) from None
        raise
    try:
        moved = instance.flush_lake()
        retired = instance.lake.compact()
        removed = instance.lake.vacuum(grace_seconds=0)  # nobody else reads while we hold the data dir
    finally:
        instance.close()
    print(f"flushed {sum(moved.values())} hot rows, merged {retired} files, removed {removed} retired files")
    return 0
