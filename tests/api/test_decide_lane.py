"""The decide lane (api/decide_lane.py) answers exactly as Litestar's decide route does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.decide_lane import DecideLane, with_decide_lane
from lotty.bench.decide import FLAGS, build_scenario
from lotty.instance import Lotty
from lotty.settings import Settings

ATTRIBUTES = {"country": "RU", "app_version": "1.7.2"}


class Spy:
    """Stands in for the Litestar app behind the lane and counts what the lane passes on."""

    def __init__(self, app: Any):
        self.app = app
        self.paths: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


def _body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def _nested(depth: int) -> bytes:
    return b'{"subject_id": "u", "attributes": {"a": ' + b"[" * depth + b"]" * depth + b"}}"


VALID = _body(subject_id="u-1", attributes=ATTRIBUTES, flags=FLAGS)
CASES: dict[str, tuple[bytes, dict[str, str] | None]] = {
    "valid": (VALID, None),
    "all flags": (_body(subject_id="u-2", attributes=ATTRIBUTES), None),
    "unknown flag": (_body(subject_id="u-3", flags=["nope", FLAGS[0]]), None),
    "targeting mismatch": (_body(subject_id="u-4", attributes={"country": "DE"}, flags=FLAGS), None),
    "not json": (b"{not json", None),
    "empty body": (b"", None),
    "subject id wrongly typed": (_body(subject_id=7), None),
    "subject id missing": (_body(attributes={}), None),
    "unknown field": (_body(subject_id="u", colour="red"), None),
    "too many flags": (_body(subject_id="u", flags=[f"f{i}" for i in range(101)]), None),
    "attribute not scalar": (_body(subject_id="u", attributes={"a": {"b": 1}}), None),
    "nested too deeply": (_nested(100_000), None),
    "over 64 KiB": (_body(subject_id="u", attributes={"a": "x" * 70_000}), None),
    "no key": (VALID, {"authorization": ""}),
    "wrong key": (VALID, {"authorization": "Bearer nope"}),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    lotty = Lotty(Settings.from_env({}, data_dir=tmp_path_factory.mktemp("lane") / "data"))
    key = build_scenario(lotty)
    spy = Spy(create_app(lotty=lotty))
    lane = DecideLane(spy, spy.app.state.request_observer)  # type: ignore[arg-type]
    with TestClient(create_app(lotty=lotty)) as plain, TestClient(lane) as laned:
        yield key, plain, laned, spy
    lotty.close()


def _comparable(response: Any) -> tuple[int, Any, str | None, str | None, bool]:
    body = response.json()
    for decision in body.get("decisions", []):
        assert decision.pop("decision_id")  # a new signed id per call; the rest must agree
    return (
        response.status_code,
        body,
        response.headers.get("content-type"),
        response.headers.get("www-authenticate"),
        bool(response.headers.get("x-request-id")),
    )


@pytest.mark.parametrize("case", list(CASES))
def test_the_lane_answers_as_the_litestar_route(world: Any, case: str) -> None:
    key, plain, laned, spy = world
    body, headers = CASES[case]
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json", **(headers or {})}
    before = len(spy.paths)
    expected = plain.post("/api/v1/decide", content=body, headers=headers)
    answered = laned.post("/api/v1/decide", content=body, headers=headers)
    assert _comparable(answered) == _comparable(expected)
    assert len(spy.paths) == before  # the lane answered it; Litestar never saw it


def test_other_routes_pass_through_the_lane(world: Any) -> None:
    key, _, laned, spy = world
    response = laned.get("/api/v1/flags", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 403  # an sdk key: Litestar's guards answered
    assert spy.paths[-1] == "/api/v1/flags"
    assert laned.get("/api/v1/decide").status_code == 405  # decide takes POST only: Litestar says so


def test_the_lane_counts_and_ids_its_requests(world: Any) -> None:
    key, _, laned, _ = world
    headers = {"authorization": f"Bearer {key}", "x-request-id": "trace-42"}
    response = laned.post("/api/v1/decide", content=VALID, headers=headers)
    assert response.headers["x-request-id"] == "trace-42"
    metrics = laned.get("/metrics").text
    assert 'route="/api/v1/decide"' in metrics


def test_with_cors_a_browser_request_goes_to_litestar(tmp_path: Any) -> None:
    settings = Settings.from_env({"LOTTY_CORS_ORIGINS": "https://app.example"}, data_dir=tmp_path / "data")
    lotty = Lotty(settings)
    key = build_scenario(lotty)
    spy = Spy(create_app(lotty=lotty))
    lane = DecideLane(spy, spy.app.state.request_observer)  # type: ignore[arg-type]
    headers = {"authorization": f"Bearer {key}", "origin": "https://app.example"}
    with TestClient(lane) as client:
        response = client.post("/api/v1/decide", content=VALID, headers=headers)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://app.example"
        assert spy.paths == ["/api/v1/decide"]
        client.post("/api/v1/decide", content=VALID, headers={"authorization": f"Bearer {key}"})
        assert spy.paths == ["/api/v1/decide"]  # no Origin: the lane's
    lotty.close()


def test_serve_wraps_the_app_in_the_lane(lotty: Lotty) -> None:
    app = create_app(lotty=lotty)
    lane = with_decide_lane(app)
    assert lane.app is app
    assert lane.state is app.state
