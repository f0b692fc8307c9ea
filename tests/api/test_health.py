"""/health and /ready (SPEC §7)."""

from __future__ import annotations

from litestar.testing import TestClient

from api.app import create_app


def test_health_needs_no_key(client):
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_reports_its_checks(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"catalog_loaded": True, "warehouse_writable": True},
    }


def test_ready_is_503_naming_the_failing_check_when_the_warehouse_cannot_write(lotty):
    with TestClient(create_app(lotty=lotty)) as client:
        lotty.store.close()
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["warehouse_writable"]


def test_ready_is_503_before_the_catalog_is_loaded(lotty):
    app = create_app(lotty=lotty)
    with TestClient(app) as client:
        app.state.lotty = None  # what a request sees before the lifespan has opened the data dir
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["catalog_loaded", "warehouse_writable"]
