"""kill -9 during sustained ingest and lake flushes, 20 times: every acknowledged event exactly once."""

from __future__ import annotations

import itertools
import random
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from lotty.instance import Lotty
from lotty.settings import Settings
from tests.e2e.server import Server, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN_KEY = "lotty_e2e_admin_key_0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
KILLS = 20
BATCH = 200


def _prepare(url: str) -> list[tuple[str, str]]:
    api = f"{url}/api/v1"
    assert (
        httpx.post(
            f"{api}/flags", json={"key": "crash_flag", "type": "string", "default": "x"}, headers=ADMIN
        ).status_code
        == 201
    )
    assert (
        httpx.post(
            f"{api}/event-types", json={"key": "click", "requires_exposure": False}, headers=ADMIN
        ).status_code
        == 201
    )
    subjects = []
    for i in range(20):
        decision = httpx.post(
            f"{api}/decide", json={"subject_id": f"s-{i}", "flags": ["crash_flag"]}, headers=ADMIN
        ).json()["decisions"][0]
        subjects.append((f"s-{i}", decision["decision_id"]))
    return subjects


def _batch(ids: itertools.count, subjects: list[tuple[str, str]]) -> list[dict]:
    now = datetime.now(UTC).isoformat()
    batch = []
    for _ in range(BATCH):
        subject, decision_id = random.choice(subjects)
        batch.append(
            {
                "event_id": f"ev-{next(ids)}",
                "event_type": "click",
                "decision_id": decision_id,
                "subject_id": subject,
                "timestamp": now,
                "properties": {},
            }
        )
    return batch


def _sender(
    url: str,
    stop: threading.Event,
    ids: itertools.count,
    subjects,
    acknowledged: set,
    unanswered: list,
    lock: threading.Lock,
) -> None:
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            with lock:  # a batch that got no answer is sent again first, as a careful client would
                batch = unanswered.pop() if unanswered else _batch(ids, subjects)
            try:
                response = client.post(f"{url}/api/v1/events", json={"events": batch}, headers=ADMIN)
            except httpx.HTTPError:
                with lock:
                    unanswered.append(batch)
                return
            body = response.json()
            assert response.status_code == 200 and body["rejected"] == 0, body
            assert body["accepted"] + body["duplicates"] == len(batch)
            with lock:
                acknowledged.update(e["event_id"] for e in batch)


def test_acknowledged_events_survive_kill_9_exactly_once(tmp_path):
    data_dir = tmp_path / "data"
    assert run_cli("init", "--data-dir", str(data_dir), env={"LOTTY_ADMIN_KEY": ADMIN_KEY}).returncode == 0
    env = {"LOTTY_FLUSH_INTERVAL_SECONDS": "1", "LOTTY_SECRET": "crash-test-secret-0123456789"}
    ids, acknowledged, unanswered, lock = itertools.count(), set(), [], threading.Lock()
    subjects: list[tuple[str, str]] = []
    rng = random.Random(7)
    for round_ in range(KILLS):
        server = Server(data_dir, env=env).start()
        if round_ == 0:
            subjects = _prepare(server.url)
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=_sender, args=(server.url, stop, ids, subjects, acknowledged, unanswered, lock)
            )
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        # Long enough, often, for a flush to be under way; every fifth round runs a few flush
        # intervals, so even a loaded machine moves rows to the lake before some kill.
        time.sleep(rng.uniform(2.5, 3.5) if round_ % 5 == 4 else rng.uniform(0.3, 1.6))
        server.stop(kill=True)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    with Server(data_dir, env=env) as server, httpx.Client(timeout=30) as client:
        for batch in unanswered:  # what never got an answer is sent once more, as a client would
            body = client.post(f"{server.url}/api/v1/events", json={"events": batch}, headers=ADMIN).json()
            assert body["accepted"] + body["duplicates"] == len(batch) and body["rejected"] == 0, body
            acknowledged.update(e["event_id"] for e in batch)
    instance = Lotty(Settings(data_dir=data_dir, secret=env["LOTTY_SECRET"]))  # replays, publishes the lake
    try:
        instance.writer.flush()
        with instance.store.read():
            cursor = instance.store.cursor()
            stored = dict(
                cursor.execute(
                    "SELECT event_id, count(*) FROM (SELECT event_id FROM events_hot UNION ALL "
                    "SELECT event_id FROM read_parquet(getvariable('lake_events'))) GROUP BY event_id"
                ).fetchall()
            )
            lake_files = len(instance.store.lake_files("events")) - 1
    finally:
        instance.close()
    assert len(acknowledged) > 5 * BATCH
    assert lake_files > 0, "no flush ever reached the lake: the test did not test the lake"
    missing = acknowledged - stored.keys()
    assert not missing, f"{len(missing)} acknowledged events were lost"
    doubled = [event_id for event_id, n in stored.items() if n > 1]
    assert not doubled, f"{len(doubled)} events were stored twice"
