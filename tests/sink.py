"""Notification tests receive webhooks with the demo's inbox (`lotty.inbox`); `closed_port_url`
is a channel pointing nowhere."""

from __future__ import annotations

from lotty.inbox import Inbox as Sink
from lotty.inbox import Received
from tests.e2e.server import free_port

__all__ = ["Received", "Sink", "closed_port_url", "http_sink"]


def http_sink() -> Sink:
    """A receiver on a free local port; use it as a context manager."""
    return Sink()


def closed_port_url() -> str:
    """An http URL on a local port nothing listens on (bound, then released)."""
    return f"http://127.0.0.1:{free_port()}/hook"
