"""The `lotty` command: init, serve (more subcommands arrive with their issues)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from lotty.auth import new_api_key
from lotty.cli_guardrails import add_guardrails_commands
from lotty.cli_lake import add_lake_commands
from lotty.cli_report import add_report_command
from lotty.errors import LottyError
from lotty.instance import initialise
from lotty.logs import configure_logging
from lotty.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, name, None) for name in ("data_dir", "host", "port")}
    return Settings.from_env(**overrides)


def cmd_init(args: argparse.Namespace) -> int:
    settings = _settings(args)
    api_key = settings.admin_key or new_api_key()
    created, _ = initialise(settings, api_key)
    if not created:
        print(f"{settings.data_dir} is already initialised (an admin exists); nothing changed.")
        return 0
    print(f"initialised {settings.data_dir}")
    print(f"admin key: {api_key}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    # The HTTP shell lives in api/; lotty/ stays importable without it, so import it only here.
    import uvicorn

    from api.app import create_app
    from api.decide_lane import with_decide_lane

    settings = _settings(args)
    # JSON lines on stderr for Lotty, uvicorn and Litestar alike (LOTTY_LOG_LEVEL, LOTTY_ACCESS_LOG).
    configure_logging(settings.log_level, secrets=(settings.secret, settings.admin_key))
    # The fact writer thread must get the GIL promptly when a commit finishes, or every request
    # waiting on it pays up to the default 5 ms switch interval while the event loop runs.
    sys.setswitchinterval(0.0005)
    logging.getLogger("lotty.serve").info(
        "serving",
        extra={
            "url": f"http://{settings.host}:{settings.port}",
            "data_dir": str(settings.data_dir),
            "openapi": "/schema/openapi.json",
        },
    )
    uvicorn.run(
        with_decide_lane(create_app(settings)),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep the handler configure_logging installed
        log_level="warning",
        access_log=False,  # Lotty writes its own access lines (api/observability.py)
        lifespan="on",
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "decide":
        from lotty.bench.decide import main as bench_decide

        return bench_decide(args)
    if args.what == "ingest":
        from lotty.bench.ingest import main as bench_ingest

        return bench_ingest(args)
    if args.what == "report":
        from lotty.bench.report_bench import main as bench_report

        return bench_report(args)
    if args.what == "guardrails":
        from lotty.bench.guardrails_bench import main as bench_guardrails

        return bench_guardrails(args)
    raise LottyError(f"unknown benchmark {args.what!r}")


def cmd_demo(args: argparse.Namespace) -> int:
    from lotty.demo import run_demo

    return run_demo(_settings(args), subjects=args.subjects, serve_after=not args.no_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lotty", description="Feature flags and A/B experiments on DuckDB.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create the database and the first admin; prints its key once")
    init.add_argument("--data-dir", type=Path, help="data directory (LOTTY_DATA_DIR, default ./data)")
    init.set_defaults(run=cmd_init)

    serve = commands.add_parser("serve", help="run the API (and, later, the scheduler)")
    serve.add_argument("--data-dir", type=Path, help="data directory (LOTTY_DATA_DIR, default ./data)")
    serve.add_argument("--host", help="bind address (LOTTY_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (LOTTY_PORT, default 8000)")
    serve.set_defaults(run=cmd_serve)

    demo = commands.add_parser(
        "demo", help="seed a demo data dir with traffic through the API, then serve it"
    )
    demo.add_argument("--data-dir", type=Path, help="data directory (LOTTY_DATA_DIR, default ./data)")
    demo.add_argument("--host", help="bind address (LOTTY_HOST, default 127.0.0.1)")
    demo.add_argument("--port", type=int, help="port (LOTTY_PORT, default 8000)")
    demo.add_argument("--subjects", type=int, default=3000, help="simulated subjects (default 3000)")
    demo.add_argument("--no-serve", action="store_true", help="stop after the traffic instead of serving")
    demo.set_defaults(run=cmd_demo)

    add_lake_commands(commands)
    add_report_command(commands)
    add_guardrails_commands(commands)

    bench = commands.add_parser("bench", help="benchmarks beside a baseline measured in the same run")
    bench.add_argument("what", choices=["decide", "ingest", "report", "guardrails"], help="what to measure")
    bench.add_argument("--runs", type=int, default=3, help="repetitions; medians are reported")
    bench.add_argument("--seconds", type=int, default=10, help="duration of each HTTP load run")
    bench.add_argument("--connections", type=int, default=8, help="concurrent HTTP connections")
    bench.add_argument("--subjects", type=int, default=2000, help="subjects per in-process run")
    bench.add_argument(
        "--memory-subjects", type=int, default=1_000_000, help="subjects for the memory figure"
    )
    bench.add_argument("--parts", default="a,b,c", help="decide: which parts to run, e.g. b or a,c")
    bench.add_argument("--sizes", default="10M,50M", help="report: events per run, e.g. 1M,10M,50M")
    bench.add_argument(
        "--placement", default="hot,lake", help="report: where the events sit, hot and/or lake"
    )
    bench.add_argument("--events", default="10M", help="guardrails: events generated, e.g. 1M, 10M")
    bench.add_argument("--experiments", type=int, default=100, help="guardrails: running experiments")
    bench.set_defaults(run=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except LottyError as exc:
        print(f"lotty: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
