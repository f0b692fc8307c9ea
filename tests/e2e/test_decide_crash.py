"""kill -9 during sustained decides: every acknowledged enrolment survives, exactly once."""

from __future__ import annotations

import itertools
import threading
import time

import httpx
import pytest

from lotty.store import Store
from tests.e2e.server import Server, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN_KEY = "lotty_e2e_admin_key_0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _setup(url: str) -> None:
    api = f"{url}/api/v1"
    approver = httpx.post(f"{api}/users", json={"name": "a", "role": "approver"}, headers=ADMIN).json()
    for i in range(3):
        httpx.post(f"{api}/flags", json={"key": f"flag_{i}", "type": "string", "default": "d"}, headers=ADMIN)
        body = {
            "key": f"exp_{i}",
            "flag": f"flag_{i}",
            "traffic": 100,
            "variants": [
                {"name": "control", "value": "a", "weight": 50, "control": True},
                {"name": "b", "value": "b", "weight": 50},
            ],
        }
        assert httpx.post(f"{api}/experiments", json=body, headers=ADMIN).status_code == 201
        httpx.post(f"{api}/experiments/exp_{i}/submit", headers=ADMIN)
        httpx.post(
            f"{api}/experiments/exp_{i}/approve", headers={"Authorization": f"Bearer {approver['api_key']}"}
        )
        assert httpx.post(f"{api}/experiments/exp_{i}/start", headers=ADMIN).json()["status"] == "running"


def _hammer(url: str, stop: threading.Event, acknowledged: dict, ids: itertools.count) -> None:
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            subject = f"s-{next(ids)}"
            try:
                response = client.post(
                    f"{url}/api/v1/decide",
                    headers=ADMIN,
                    json={"subject_id": subject, "flags": ["flag_0", "flag_1", "flag_2"]},
                )
            except httpx.HTTPError:
                return  # the server died under us: this answer was never acknowledged
            if response.status_code == 200:
                for d in response.json()["decisions"]:
                    if d["reason"] == "experiment_assigned":
                        acknowledged[(d["experiment"], subject)] = d["variant"]


def test_acknowledged_enrolments_survive_kill_9(tmp_path):
    data_dir = tmp_path / "data"
    assert run_cli("init", "--data-dir", str(data_dir), env={"LOTTY_ADMIN_KEY": ADMIN_KEY}).returncode == 0
    acknowledged: dict[tuple[str, str], str] = {}
    ids = itertools.count()
    for round_ in range(5):
        server = Server(data_dir).start()
        if round_ == 0:
            _setup(server.url)
        stop = threading.Event()
        threads = [
            threading.Thread(target=_hammer, args=(server.url, stop, acknowledged, ids)) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.6 + 0.2 * round_)
        server.stop(kill=True)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    with Server(data_dir) as server:  # replays the journal, then answers from the rebuilt state
        sample = list(acknowledged.items())[:: max(1, len(acknowledged) // 50)]
        for (experiment, subject), variant in sample:
            answer = httpx.post(
                f"{server.url}/api/v1/decide",
                headers=ADMIN,
                json={"subject_id": subject, "flags": [f"flag_{experiment[-1]}"]},
            ).json()
            assert answer["decisions"][0]["variant"] == variant
    store = Store(data_dir / "lotty.duckdb", read_only=True)
    rows = (
        store.cursor()
        .execute("SELECT experiment, subject_id, count(*), min(variant) FROM enrolments GROUP BY ALL")
        .fetchall()
    )
    store.close()
    stored = {(e, s): v for e, s, _, v in rows}
    assert all(n == 1 for _, _, n, _ in rows), "an enrolment was stored twice"
    assert len(acknowledged) > 100
    missing = [k for k in acknowledged if k not in stored]
    assert not missing, f"{len(missing)} acknowledged enrolments were lost"
    assert all(stored[k] == v for k, v in acknowledged.items())
