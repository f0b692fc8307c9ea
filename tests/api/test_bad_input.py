"""Garbage to every route: always a 4xx in the SPEC §1 error shape, never a 500, nothing stored."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from lotty.catalog.users import bootstrap_admin
from lotty.instance import Lotty
from lotty.settings import Settings
from tests.conftest import ADMIN_KEY, Caller, FakeClock

BODY_METHODS = {"POST", "PUT", "PATCH"}
OVERSIZE_STATUS = {"/api/v1/decide": {400}}  # SPEC §3: decide bodies over 64 KiB are a 400
SKIP_PATHS = {"/health", "/ready", "/metrics"}  # operations endpoints: no key (docs/operations.md)


def _routes() -> list[tuple[str, str]]:
    app = create_app(Settings())
    found = []
    for route in app.routes:
        if route.path.startswith("/schema") or route.path in SKIP_PATHS:
            continue
        for method in sorted(getattr(route, "methods", ())):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, route.path))
    return found


ROUTES = _routes()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "no-such-thing", path)


def _assert_error_shape(response: Any, statuses: set[int] | range) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    if response.url.path.startswith("/ofrep/") and response.status_code in (400, 404):
        # OFREP answers in its own protocol's shape, which OpenFeature providers parse.
        assert isinstance(body["errorCode"], str) and body["errorCode"].isupper(), body
        assert isinstance(body["errorDetails"], str) and body["errorDetails"], body
        return
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"].isupper()
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)


# Garbage never changes state, so one server serves the whole module (hundreds of cases).
@pytest.fixture(scope="module")
def lotty(tmp_path_factory):
    clock = FakeClock()
    instance = Lotty(Settings(data_dir=tmp_path_factory.mktemp("bad"), secret="s" * 32), clock=clock)
    bootstrap_admin(instance.store, ADMIN_KEY, clock())
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def client(lotty):
    with TestClient(create_app(lotty=lotty)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def admin(client):
    return Caller(client, ADMIN_KEY)


def test_every_admin_route_is_covered():
    assert len(ROUTES) >= 35, ROUTES


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_key_is_401(client, method, path):
    response = client.request(method, _concrete(path), json={} if method in BODY_METHODS else None)
    _assert_error_shape(response, {401})


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_bad_key_is_401(client, method, path):
    response = client.request(method, _concrete(path), headers={"Authorization": "Bearer nope"})
    _assert_error_shape(response, {401})


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if "{" in r[1]])
def test_unknown_ids_are_4xx(admin, method, path):
    response = admin.client.request(
        method, _concrete(path), headers=admin._headers(), json={} if method in BODY_METHODS else None
    )
    _assert_error_shape(response, {400, 404})


GARBAGE_BODIES = [
    pytest.param(b"{not json", id="invalid-json"),
    pytest.param(b"", id="empty"),
    pytest.param(b"[]", id="array"),
    pytest.param(b'"text"', id="string"),
    pytest.param(b"null", id="null"),
    pytest.param(b'{"zzz_unknown_field": 1}', id="unknown-field"),
    pytest.param(b'{"key": 5, "name": [], "role": {}, "type": 1, "comment": 7}', id="wrong-types"),
    pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
    # msgspec raises UnicodeDecodeError, not DecodeError, for a string that is not UTF-8
    pytest.param(b'{"key": "f\xff", "subject_id": "\xed\xa0\x80"}', id="strings-not-utf8"),
    pytest.param(
        b'{"events": [{"event_id": "\xff"}], "context": {"targetingKey": "\xff"}}', id="nested-not-utf8"
    ),
    pytest.param(b'{"a": ' * 5000, id="deep-unclosed"),
]


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[0] in BODY_METHODS])
@pytest.mark.parametrize("body", GARBAGE_BODIES)
def test_garbage_bodies_are_4xx(admin, lotty, method, path, body):
    before = lotty.store.catalog_version
    response = admin.client.request(
        method,
        _concrete(path),
        content=body,
        headers={**admin._headers(), "Content-Type": "application/json"},
    )
    # An empty body is a valid "no comment" for lifecycle actions, which then fail on the unknown id.
    _assert_error_shape(response, range(400, 500))
    assert lotty.store.catalog_version == before, "a rejected request changed the catalog"


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[0] in BODY_METHODS])
def test_five_mebibyte_body_is_413(admin, lotty, method, path):
    before = lotty.store.catalog_version
    body = b'{"description": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = admin.client.request(
        method,
        _concrete(path),
        content=body,
        headers={**admin._headers(), "Content-Type": "application/json"},
    )
    _assert_error_shape(response, OVERSIZE_STATUS.get(path, {413}))
    assert lotty.store.catalog_version == before


@pytest.mark.parametrize(
    "query", ["limit=abc", "limit=0", "limit=501", "limit=-1", "cursor=%%%", "cursor=bm9wZQ"]
)
def test_bad_list_parameters_are_400(admin, query):
    for path in (
        "/api/v1/flags",
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/metrics",
        "/api/v1/event-types",
        "/api/v1/experiments",
    ):
        _assert_error_shape(admin.get(f"{path}?{query}"), {400})


def test_unknown_route_and_method_are_4xx(admin):
    _assert_error_shape(admin.get("/api/v1/nothing-here"), {404})
    _assert_error_shape(admin.client.request("PUT", "/api/v1/flags", headers=admin._headers()), {405})
