"""`lotty guardrails check`: one guardrail pass now, on the data dir directly when no server holds
the database, else through the running server (POST /api/v1/guardrails/check, an admin key).
`lotty guardrails backtest EXPERIMENT`: replay its rules over stored history, acting on nothing."""

from __future__ import annotations

import argparse
import contextlib
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import msgspec

from lotty.errors import LottyError

FORMATS = ("text", "json")


def add_guardrails_commands(commands: Any) -> None:
    group = commands.add_parser("guardrails", help="guardrail checks (the server also checks on a schedule)")
    actions = group.add_subparsers(dest="guardrails_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="evaluate every running experiment's guardrails now and act on breaches"
    )
    check.add_argument("--data-dir", type=Path, help="data directory (LOTTY_DATA_DIR, default ./data)")
    check.add_argument(
        "--url",
        help="a running server to ask (default: the data dir directly, or http://LOTTY_HOST:LOTTY_PORT "
        "when a server holds it)",
    )
    check.add_argument("--key", help="admin API key for --url (default LOTTY_ADMIN_KEY)")
    check.add_argument("--experiment", help="check only this experiment (default: every running one)")
    check.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    check.set_defaults(run=cmd_check)

    backtest = actions.add_parser(
        "backtest", help="replay an experiment's rules over stored history: when each would have fired"
    )
    backtest.add_argument("experiment", help="experiment key")
    backtest.add_argument("--from", dest="from_", help="RFC 3339, included (default: the experiment's start)")
    backtest.add_argument("--to", help="RFC 3339 (default: the experiment's end, or now)")
    backtest.add_argument("--step", type=int, default=5, help="minutes between evaluations (default 5)")
    backtest.add_argument("--data-dir", type=Path, help="data directory (LOTTY_DATA_DIR, default ./data)")
    backtest.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    backtest.set_defaults(run=cmd_backtest)


def cmd_check(args: argparse.Namespace) -> int:
    from lotty.settings import Settings

    settings = Settings.from_env(data_dir=args.data_dir)
    if args.url:
        body = _check_over_http(args.url, args.key or settings.admin_key, args.experiment)
    else:
        body = _check_directly(settings, args)
    result = _decode(body)
    if args.format == "json":
        sys.stdout.write(msgspec.json.format(body.decode(), indent=2) + "\n")
    else:
        sys.stdout.write(render_check(result))
    return 0


def _check_directly(settings: Any, args: argparse.Namespace) -> bytes:
    from lotty.catalog.experiments import require_experiment
    from lotty.guardrails import check_guardrails
    from lotty.instance import Lotty

    if not settings.database_path.exists():
        raise LottyError(f"no Lotty database in {settings.data_dir}: run `lotty init` first")
    try:
        lotty = Lotty(settings)
    except Exception as exc:  # DuckDB refuses a second process: only lotty/store may name its errors
        if "lock" not in str(exc).lower():
            raise
        url = f"http://{settings.host}:{settings.port}"
        print(f"{settings.database_path} is held by a running server; asking {url}", file=sys.stderr)
        return _check_over_http(url, args.key or settings.admin_key, args.experiment)
    try:
        if args.experiment is not None:
            with lotty.store.read() as tx:
                require_experiment(tx, args.experiment)
        return msgspec.json.encode(check_guardrails(lotty, args.experiment))
    finally:
        lotty.close()


def _check_over_http(url: str, key: str | None, experiment: str | None) -> bytes:
    if not key:
        raise LottyError("asking a server needs an admin key: --key or LOTTY_ADMIN_KEY")
    request = urllib.request.Request(
        url.rstrip("/") + "/api/v1/guardrails/check",
        method="POST",
        data=msgspec.json.encode({} if experiment is None else {"experiment": experiment}),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        with contextlib.suppress(msgspec.DecodeError, KeyError, TypeError):
            detail = msgspec.json.decode(detail)["error"]["message"]
        raise LottyError(f"{url} answered {exc.code}: {detail}") from None
    except urllib.error.URLError as exc:
        raise LottyError(f"cannot reach {url}: {exc.reason}") from None


def _decode(body: bytes) -> Any:
    from lotty.guardrails import CheckResult

    return msgspec.json.decode(body, type=CheckResult)


def render_check(result: Any) -> str:
    """One line per experiment acted on and per trigger, then a summary."""
    lines = []
    for taken in result.actions:
        lines.append(f"{taken.experiment}: {taken.action} -> {taken.status}")
        for t in taken.triggers:
            lines.append(
                f"  {t.guardrail} {t.metric} {t.operator} {t.threshold:g} over {t.window_minutes} min "
                f"({t.action}): variant {t.variant} observed {t.observed_value:g}, {t.samples} subjects"
            )
    lines.append(
        f"checked {result.evaluated} rule x variant value(s) at {result.checked_at.isoformat()}; "
        f"{len(result.actions)} experiment(s) acted on"
    )
    return "\n".join(lines) + "\n"


def cmd_backtest(args: argparse.Namespace) -> int:
    from lotty.guardrail_backtest import render_backtest, run_backtest
    from lotty.instance import Lotty, utc_now
    from lotty.reports.service import parse_time
    from lotty.settings import Settings
    from lotty.store import Tx

    settings = Settings.from_env(data_dir=args.data_dir)
    if not settings.database_path.exists():
        raise LottyError(f"no Lotty database in {settings.data_dir}: run `lotty init` first")
    window = (parse_time(args.from_, "from"), parse_time(args.to, "to"), args.step)
    try:
        lotty = Lotty(settings, runtime=False)
    except Exception as exc:  # DuckDB refuses a second process: read the lake instead
        if "lock" not in str(exc).lower():
            raise
        import lotty as package

        print(
            f"{settings.database_path} is held by a running server; replaying over the lake "
            "(at most one flush interval behind)",
            file=sys.stderr,
        )
        try:
            connection = package.connect(settings.data_dir)
        except FileNotFoundError as missing:
            raise LottyError(str(missing)) from None
        try:
            result = run_backtest(Tx(connection), args.experiment, *window, now=utc_now())
        finally:
            connection.close()
    else:
        try:
            with lotty.store.read() as tx:
                result = run_backtest(tx, args.experiment, *window, now=lotty.clock())
        finally:
            lotty.close()
    if args.format == "json":
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(result).decode(), indent=2) + "\n")
    else:
        sys.stdout.write(render_backtest(result))
    return 0
