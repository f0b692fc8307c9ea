"""A real `lotty init` + `lotty serve`: health, readiness, and a catalog that survives restarts."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.server import Server, run_cli

pytestmark = pytest.mark.e2e

ADMIN_KEY = "lotty_e2e_admin_key_0123456789"


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_init_prints_the_key_once_and_is_idempotent(tmp_path):
    data_dir = tmp_path / "data"
    first = run_cli("init", "--data-dir", str(data_dir))
    assert first.returncode == 0, first.stderr
    key_lines = [line for line in first.stdout.splitlines() if line.startswith("admin key: ")]
    assert len(key_lines) == 1 and len(key_lines[0]) > len("admin key: ") + 20
    second = run_cli("init", "--data-dir", str(data_dir))
    assert second.returncode == 0
    assert "nothing changed" in second.stdout and "admin key" not in second.stdout
    with Server(data_dir) as server:
        key = key_lines[0].removeprefix("admin key: ")
        assert httpx.get(f"{server.url}/api/v1/flags", headers=_headers(key)).status_code == 200


def test_bad_setting_fails_init_with_a_clear_message(tmp_path):
    result = run_cli("init", "--data-dir", str(tmp_path / "d"), env={"LOTTY_DECISION_LOG": "sometimes"})
    assert result.returncode == 2
    assert "LOTTY_DECISION_LOG" in result.stderr


def test_catalog_survives_graceful_and_hard_restarts(tmp_path):
    data_dir = tmp_path / "data"
    init = run_cli("init", "--data-dir", str(data_dir), env={"LOTTY_ADMIN_KEY": ADMIN_KEY})
    assert f"admin key: {ADMIN_KEY}" in init.stdout
    admin = _headers(ADMIN_KEY)

    with Server(data_dir) as server:
        assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
        ready = httpx.get(f"{server.url}/ready").json()
        assert ready["checks"] == {"catalog_loaded": True, "warehouse_writable": True}
        api = f"{server.url}/api/v1"
        approver = httpx.post(f"{api}/users", json={"name": "ann", "role": "approver"}, headers=admin).json()
        assert (
            httpx.post(
                f"{api}/flags", json={"key": "new_search", "type": "boolean", "default": False}, headers=admin
            ).status_code
            == 201
        )
        experiment = {
            "key": "search-v2",
            "flag": "new_search",
            "traffic": 50,
            "variants": [
                {"name": "control", "value": False, "weight": 25, "control": True},
                {"name": "on", "value": True, "weight": 25},
            ],
        }
        assert httpx.post(f"{api}/experiments", json=experiment, headers=admin).status_code == 201
        assert httpx.post(f"{api}/experiments/search-v2/submit", headers=admin).status_code == 200
        approved = httpx.post(
            f"{api}/experiments/search-v2/approve",
            json={"comment": "ok"},
            headers=_headers(approver["api_key"]),
        )
        assert approved.json()["status"] == "approved", approved.text

    with Server(data_dir) as server:  # after SIGTERM
        api = f"{server.url}/api/v1"
        assert httpx.get(f"{api}/flags/new_search", headers=admin).json()["default"] is False
        assert httpx.post(f"{api}/experiments/search-v2/start", headers=admin).json()["status"] == "running"
        server.stop(kill=True)

    with Server(data_dir) as server:  # after SIGKILL: every acknowledged change is still there
        api = f"{server.url}/api/v1"
        experiment = httpx.get(f"{api}/experiments/search-v2", headers=admin).json()
        assert experiment["status"] == "running" and experiment["started_at"] is not None
        reviews = httpx.get(f"{api}/experiments/search-v2/reviews", headers=admin).json()["items"]
        assert [(r["decision"], r["comment"]) for r in reviews] == [("approve", "ok")]
        assert (
            httpx.get(f"{api}/users/{approver['id']}", headers=_headers(approver["api_key"])).status_code
            == 200
        )
        actions = [
            e["action"] for e in httpx.get(f"{api}/audit?entity=experiment", headers=admin).json()["items"]
        ]
        assert actions == ["start", "approve", "submit", "create"]
