"""Shared fixtures: a data dir per test, an injected clock, an admin, and HTTP helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.decide_lane import with_decide_lane
from lotty.catalog.users import bootstrap_admin
from lotty.instance import Lotty
from lotty.settings import Settings

ADMIN_KEY = "lotty_test_admin_key_0123456789"


@dataclass
class FakeClock:
    """A clock the test moves; each reading advances 1 ms so rows keep a strict order."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret="test-secret-0123456789abcdef")


@pytest.fixture
def lotty(settings: Settings, clock: FakeClock) -> Iterator[Lotty]:
    instance = Lotty(settings, clock=clock)
    bootstrap_admin(instance.store, ADMIN_KEY, clock())
    yield instance
    instance.close()


@dataclass
class Caller:
    """An HTTP client acting with one API key (None: no Authorization header)."""

    client: TestClient[Any]
    key: str | None
    user_id: str | None = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(path, json=json, headers=self._headers(), **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(path, json=json, headers=self._headers(), **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.put(path, json=json, headers=self._headers(), **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self._headers(), **kw)


@pytest.fixture
def client(lotty: Lotty) -> Iterator[TestClient[Any]]:
    # As `lotty serve` runs it: decide answered by the lane, everything else by Litestar
    # (tests/api/test_decide_lane.py holds the two decide paths to the same answers).
    with TestClient(with_decide_lane(create_app(lotty=lotty))) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient[Any]) -> Caller:
    caller = Caller(client, ADMIN_KEY)
    caller.user_id = caller.get("/api/v1/users").json()["items"][-1]["id"]
    return caller


@pytest.fixture
def make_user(admin: Caller) -> Any:
    """make_user(role) → a Caller holding a fresh user's key."""

    def make(role: str, name: str | None = None) -> Caller:
        response = admin.post("/api/v1/users", {"name": name or f"{role} user", "role": role})
        assert response.status_code == 201, response.text
        body = response.json()
        return Caller(admin.client, body["api_key"], body["id"])

    return make
