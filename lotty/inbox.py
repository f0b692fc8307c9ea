"""A small local HTTP receiver of webhooks: the demo's notification inbox (and the tests' sink).

It keeps every POST it receives (path, headers, body) and answers with `status` (200 unless changed),
calling `on_receive` for each; the standard library's threading server is plenty for a handful of
notifications.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Inbox:
    """Listens on `host` and a free port from `start()` until `stop()` (or the `with` block's end)."""

    def __init__(self, host: str = "127.0.0.1", on_receive: Callable[[Received], None] | None = None):
        self.received: list[Received] = []
        self.status = 200
        self._on_receive = on_receive
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                message = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                inbox.received.append(message)
                status = inbox.status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status < 400 else b'{"error": "refused by the inbox"}')
                if inbox._on_receive is not None:
                    inbox._on_receive(message)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the caller reports
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="inbox", daemon=True)

    def start(self) -> Inbox:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Inbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
