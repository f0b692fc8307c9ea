"""A first walk through the admin API: flag → metric → experiment → review → running."""

from __future__ import annotations


def test_experiment_walks_from_draft_to_running(admin, make_user):
    experimenter = make_user("experimenter")
    approver = make_user("approver")
    assert (
        experimenter.post(
            "/api/v1/flags", {"key": "button_color", "type": "string", "default": "green"}
        ).status_code
        == 201
    )
    assert experimenter.post("/api/v1/event-types", {"key": "click"}).status_code == 201
    r = experimenter.post(
        "/api/v1/metrics", {"key": "click_rate", "kind": "conversion", "event_type": "click"}
    )
    assert r.status_code == 201, r.text
    r = experimenter.post(
        "/api/v1/experiments",
        {
            "key": "checkout-cta",
            "flag": "button_color",
            "traffic": 40,
            "variants": [
                {"name": "control", "value": "green", "weight": 20, "control": True},
                {"name": "red", "value": "red", "weight": 20},
            ],
            "targeting": 'country IN ["RU", "KZ"] AND app_version >= "1.6.0"',
            "primary_metric": "click_rate",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft" and r.json()["version"] == 1
    assert experimenter.post("/api/v1/experiments/checkout-cta/submit").json()["status"] == "in_review"
    r = approver.post("/api/v1/experiments/checkout-cta/approve", {"comment": "ship it"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    r = experimenter.post("/api/v1/experiments/checkout-cta/start")
    assert r.json()["status"] == "running", r.text
    log = admin.get("/api/v1/experiments/checkout-cta/log").json()["items"]
    assert [e["action"] for e in log] == ["start", "approve", "submit", "create"]
