"""`lotty demo`: a data dir with a realistic scenario and real traffic, served, in one command.

It initialises the data dir, starts `lotty serve` (with the scheduler) as a child process, builds
the scenario through the admin API, sends traffic through the runtime API — decides, exposures,
purchases with a real lift in one experiment, errors that breach a guardrail in the other — and
prints where to look. Everything goes over HTTP, exactly as a product service would send it.
A webhook channel points at an inbox inside the demo process, which prints each notification.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lotty.auth import new_api_key
from lotty.inbox import Inbox, Received
from lotty.instance import initialise
from lotty.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COUNTRIES = ["RU", "KZ", "DE", "US", "BR"]


class Client:
    """A tiny JSON client on the standard library (the runtime has no HTTP client dependency)."""

    def __init__(self, base: str, key: str):
        self.base, self.key = base, key

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path} → {error.code}: {error.read().decode()}") from None
        return json.loads(text) if text else None


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("lotty serve exited; see its output above")
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise TimeoutError("lotty serve did not become ready")


def build_scenario(api: Client, approver: Client, inbox_url: str) -> None:
    post = lambda path, body=None: api.call("POST", path, body)  # noqa: E731 - local shorthand
    post(
        "/api/v1/flags",
        {
            "key": "checkout_button",
            "type": "string",
            "default": "green",
            "description": "Colour of the checkout button",
        },
    )
    post(
        "/api/v1/flags",
        {
            "key": "new_search",
            "type": "boolean",
            "default": False,
            "description": "The rewritten search backend",
        },
    )
    post(
        "/api/v1/event-types",
        {
            "key": "purchase",
            "description": "A completed order",
            "properties": {"amount": {"type": "number", "required": True}},
        },
    )
    post(
        "/api/v1/event-types",
        {
            "key": "search",
            "description": "A search answered",
            "properties": {"ms": {"type": "number", "required": True}},
        },
    )
    post("/api/v1/event-types", {"key": "search_error", "description": "A search that failed"})
    metrics = [
        {"key": "purchase_rate", "name": "Purchase rate", "kind": "conversion", "event_type": "purchase"},
        {"key": "purchases", "name": "Purchases", "kind": "count", "event_type": "purchase"},
        {"key": "revenue", "name": "Revenue", "kind": "sum", "event_type": "purchase", "property": "amount"},
        {
            "key": "order_value",
            "name": "Average order",
            "kind": "average",
            "event_type": "purchase",
            "property": "amount",
        },
        {
            "key": "search_errors",
            "name": "Errors per search",
            "kind": "ratio",
            "numerator": "search_error",
            "denominator": "search",
            "higher_is_better": False,
        },
        {
            "key": "search_p95_ms",
            "name": "Search p95 (ms)",
            "kind": "percentile",
            "event_type": "search",
            "property": "ms",
            "percentile": 0.95,
            "higher_is_better": False,
        },
        {
            "key": "search_error_rate",
            "name": "Searchers hitting an error",
            "kind": "conversion",
            "event_type": "search_error",
            "higher_is_better": False,
        },
    ]
    for metric in metrics:
        post("/api/v1/metrics", metric)
    post(
        "/api/v1/experiments",
        {
            "key": "checkout-cta",
            "flag": "checkout_button",
            "name": "Red checkout button",
            "hypothesis": "A red button draws more purchases",
            "traffic": 100,
            "targeting": 'country IN ["RU", "KZ", "DE", "US"]',
            "variants": [
                {"name": "control", "value": "green", "weight": 50, "control": True},
                {"name": "red", "value": "red", "weight": 50},
            ],
            "primary_metric": "purchase_rate",
            "metrics": ["purchase_rate", "purchases", "revenue", "order_value"],
        },
    )
    post(
        "/api/v1/experiments",
        {
            "key": "search-v2",
            "flag": "new_search",
            "name": "New search backend",
            "hypothesis": "The new backend is faster",
            "traffic": 100,
            "targeting": 'app_version >= "2.0.0"',
            "variants": [
                {"name": "control", "value": False, "weight": 50, "control": True},
                {"name": "v2", "value": True, "weight": 50},
            ],
            "primary_metric": "search_p95_ms",
            "metrics": ["search_p95_ms", "search_errors"],
        },
    )
    post(
        "/api/v1/experiments/checkout-cta/guardrails",
        {
            "metric": "search_error_rate",
            "operator": ">",
            "threshold": 0.5,
            "window_minutes": 60,
            "action": "pause",
        },
    )
    post(
        "/api/v1/experiments/search-v2/guardrails",
        {
            "metric": "search_error_rate",
            "operator": ">",
            "threshold": 0.2,
            "window_minutes": 60,
            "action": "rollback",
            "min_samples": 100,
        },
    )
    post(
        "/api/v1/notifications/channels",
        {"key": "demo-inbox", "type": "webhook", "config": {"url": inbox_url}},
    )
    for event in ("guardrail_triggered", "srm_detected"):
        post("/api/v1/notifications/rules", {"event": event, "channel": "demo-inbox"})
    for key in ("checkout-cta", "search-v2"):
        post(f"/api/v1/experiments/{key}/submit", {"comment": "ready for review"})
        approver.call("POST", f"/api/v1/experiments/{key}/approve", {"comment": "looks good"})
        post(f"/api/v1/experiments/{key}/start", {"comment": "go"})


def simulate(runtime: Client, subjects: int, rng: random.Random) -> int:
    """Decides and events for `subjects` subjects; returns how many events were accepted."""
    events: list[dict[str, Any]] = []
    accepted = 0
    for n in range(subjects):
        subject = f"user-{n}"
        attributes = {
            "country": rng.choice(COUNTRIES),
            "app_version": rng.choice(["1.9.0", "2.1.0", "2.3.1"]),
        }
        decisions = runtime.call("POST", "/api/v1/decide", {"subject_id": subject, "attributes": attributes})
        now = datetime.now(UTC).isoformat()
        for d in decisions["decisions"]:
            if d["reason"] != "experiment_assigned":
                continue
            base = {"decision_id": d["decision_id"], "subject_id": subject, "timestamp": now}
            events.append(
                {
                    **base,
                    "event_id": f"{d['decision_id'][-16:]}-x",
                    "event_type": "exposure",
                    "properties": {},
                }
            )
            if d["flag"] == "checkout_button":
                rate = 0.18 if d["variant"] == "red" else 0.10  # the red button really sells more
                if rng.random() < rate:
                    events.append(
                        {
                            **base,
                            "event_id": f"{subject}-buy",
                            "event_type": "purchase",
                            "properties": {"amount": round(rng.uniform(15, 120), 2)},
                        }
                    )
            else:
                broken = d["variant"] == "v2"  # the new backend fails often: the guardrail must act
                for s in range(3):
                    events.append(
                        {
                            **base,
                            "event_id": f"{subject}-s{s}",
                            "event_type": "search",
                            "properties": {"ms": rng.gauss(180 if broken else 240, 40)},
                        }
                    )
                if rng.random() < (0.45 if broken else 0.03):
                    events.append(
                        {**base, "event_id": f"{subject}-err", "event_type": "search_error", "properties": {}}
                    )
        if len(events) >= 500 or n == subjects - 1:
            accepted += runtime.call("POST", "/api/v1/events", {"events": events})["accepted"]
            events = []
        if n % 50 == 0 or n == subjects - 1:
            done = (n + 1) / subjects
            print(
                f"\r  traffic [{'#' * int(done * 30):<30}] {n + 1}/{subjects} subjects, {accepted} events",
                end="",
                file=sys.stderr,
                flush=True,
            )
    print(file=sys.stderr)
    return accepted


def _serve_command(settings: Settings) -> list[str]:
    """`lotty serve` on the demo's data dir, host and port (run as a child, or exec'd into)."""
    return [
        sys.executable,
        "-m",
        "lotty.cli",
        "serve",
        "--data-dir",
        str(settings.data_dir),
        "--host",
        settings.host,
        "--port",
        str(settings.port),
    ]


def run_demo(settings: Settings, *, subjects: int = 3000, serve_after: bool = True, seed: int = 42) -> int:
    admin_key = settings.admin_key or new_api_key()
    created, _ = initialise(settings, admin_key)
    if not created:
        print(
            f"{settings.data_dir} is already initialised: serving it as it is (delete it for a fresh demo)."
        )
        if serve_after:
            os.execvp(sys.executable, _serve_command(settings))
        return 0
    print(f"admin key: {admin_key}")
    env = {
        **os.environ,
        "LOTTY_GUARDRAIL_INTERVAL_SECONDS": "5",
        "LOTTY_FLUSH_INTERVAL_SECONDS": "2",
        "LOTTY_NOTIFICATION_INTERVAL_SECONDS": "2",
        "LOTTY_ACCESS_LOG": "off",
    }
    inbox = Inbox(on_receive=_print_notification).start()
    base = f"http://{settings.host}:{settings.port}"
    server = subprocess.Popen(
        _serve_command(settings),
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_ready(base, server)
        api = Client(base, admin_key)
        approver_key = api.call("POST", "/api/v1/users", {"name": "Ann (approver)", "role": "approver"})[
            "api_key"
        ]
        sdk_key = api.call("POST", "/api/v1/users", {"name": "shop backend", "role": "sdk"})["api_key"]
        print(
            "building the scenario: 2 flags, 3 event types, 7 metrics, 2 experiments with guardrails, "
            f"a webhook channel to this demo's inbox ({inbox.url})"
        )
        build_scenario(api, Client(base, approver_key), f"{inbox.url}/lotty")
        print(f"sending traffic for {subjects} subjects through the API")
        simulate(Client(base, sdk_key), subjects, random.Random(seed))
        print("waiting for the guardrail check (every 5 s here) ...")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if api.call("GET", "/api/v1/experiments/search-v2")["status"] != "running":
                break
            time.sleep(1)
        status = api.call("GET", "/api/v1/experiments/search-v2")["status"]
        print(
            f"\nsearch-v2 is now {status} (its error-rate guardrail fired)"
            if status != "running"
            else "\nsearch-v2 is still running: the guardrail has not fired yet"
        )
        deadline = time.monotonic() + 15  # the outbox sends every 2 s here
        while status != "running" and not inbox.received and time.monotonic() < deadline:
            time.sleep(0.5)
        print(f"""
Where to look (admin key above; any valid key reads):
  report      {base}/api/v1/experiments/checkout-cta/report   (red vs green: a real lift)
              {base}/api/v1/experiments/search-v2/guardrail-triggers
  API docs    {base}/schema/swagger
  metrics     {base}/metrics
  notified    {base}/api/v1/notifications/deliveries   (the webhook log; the inbox prints each one here)
  CLI         .venv/bin/lotty sql --data-dir {settings.data_dir} \\
                -c "SELECT experiment, variant, count(*) FROM exposures GROUP BY ALL"
              .venv/bin/lotty report checkout-cta --data-dir {settings.data_dir}   (after stopping the server)
  notebook    notebooks/analysis.ipynb
""")
        if serve_after:
            print("serving; Ctrl-C to stop")
            server.wait()
        return 0
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        inbox.stop()


def _print_notification(message: Received) -> None:
    try:
        payload = message.json()
        print(f"\nnotification received ({payload['event']}): {payload['text']}", flush=True)
    except (ValueError, KeyError, TypeError):
        print(f"\nnotification received: {message.body[:200]!r}", flush=True)
