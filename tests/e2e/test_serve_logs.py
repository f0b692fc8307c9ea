"""A real `lotty serve` writes only JSON lines, one access line per request, and no secret."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.server import Server, run_cli

pytestmark = pytest.mark.e2e

ADMIN_KEY = "lotty_e2e_admin_key_0123456789"
SECRET = "e2e-signing-secret-0123456789"


def test_serve_logs_json_lines_with_access_lines_and_no_secrets(tmp_path):
    data_dir = tmp_path / "data"
    assert run_cli("init", "--data-dir", str(data_dir), env={"LOTTY_ADMIN_KEY": ADMIN_KEY}).returncode == 0
    server = Server(data_dir, env={"LOTTY_SECRET": SECRET, "LOTTY_ADMIN_KEY": ADMIN_KEY})
    with server:
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        assert httpx.get(f"{server.url}/api/v1/flags/nope", headers=admin).status_code == 404
        assert (
            httpx.get(f"{server.url}/api/v1/flags", headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        decide = httpx.post(f"{server.url}/api/v1/decide", json={"subject_id": "u-1"}, headers=admin)
        assert decide.status_code == 200
        metrics = httpx.get(f"{server.url}/metrics").text
    text = server.logs()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    assert all({"ts", "level", "logger", "event"} <= line.keys() for line in lines)
    assert any(line["event"] == "serving" and line["url"] == server.url for line in lines)
    access = [(line["method"], line["route"], line["status"]) for line in lines if line["event"] == "request"]
    assert ("GET", "/api/v1/flags/{key}", 404) in access
    assert ("GET", "/api/v1/flags", 401) in access
    assert ("POST", "/api/v1/decide", 200) in access
    assert all(line["level"] != "info" for line in lines if line["logger"].startswith("uvicorn"))
    for secret in (ADMIN_KEY, SECRET, "Bearer"):
        assert secret not in text
    assert 'lotty_http_requests_total{method="POST",route="/api/v1/decide",status="200"} 1.0' in metrics
