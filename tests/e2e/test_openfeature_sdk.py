"""The official OpenFeature SDK with the OFREP provider, unchanged, against a real `lotty serve`."""

from __future__ import annotations

import httpx
import pytest
from openfeature import api as openfeature
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from tests.e2e.server import Server, run_cli

pytestmark = pytest.mark.e2e
ADMIN_KEY = "lotty_e2e_admin_key_0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ofrep") / "data"
    assert run_cli("init", "--data-dir", str(data_dir), env={"LOTTY_ADMIN_KEY": ADMIN_KEY}).returncode == 0
    with Server(data_dir) as running:
        api, admin = f"{running.url}/api/v1", {"Authorization": f"Bearer {ADMIN_KEY}"}
        approver = httpx.post(f"{api}/users", json={"name": "ann", "role": "approver"}, headers=admin).json()
        sdk = httpx.post(f"{api}/users", json={"name": "svc", "role": "sdk"}, headers=admin).json()
        for flag in (
            {"key": "button_color", "type": "string", "default": "green"},
            {"key": "new_search", "type": "boolean", "default": False},
            {"key": "max_items", "type": "number", "default": 10},
            {"key": "layout", "type": "json", "default": {"columns": 2}},
        ):
            assert httpx.post(f"{api}/flags", json=flag, headers=admin).status_code == 201
        experiment = {
            "key": "checkout-cta",
            "flag": "button_color",
            "traffic": 100,
            "variants": [
                {"name": "control", "value": "green", "weight": 50, "control": True},
                {"name": "red", "value": "red", "weight": 50},
            ],
            "targeting": 'country IN ["RU", "KZ"]',
        }
        assert httpx.post(f"{api}/experiments", json=experiment, headers=admin).status_code == 201
        httpx.post(f"{api}/experiments/checkout-cta/submit", headers=admin)
        httpx.post(
            f"{api}/experiments/checkout-cta/approve",
            headers={"Authorization": f"Bearer {approver['api_key']}"},
        )
        assert (
            httpx.post(f"{api}/experiments/checkout-cta/start", headers=admin).json()["status"] == "running"
        )
        running.sdk_key = sdk["api_key"]
        yield running


@pytest.fixture
def client(server):
    openfeature.set_provider(
        OFREPProvider(server.url, headers_factory=lambda: {"Authorization": f"Bearer {server.sdk_key}"})
    )
    yield openfeature.get_client()
    openfeature.shutdown()


def test_experiment_variant_through_the_sdk(client):
    context = EvaluationContext(targeting_key="u-42", attributes={"country": "RU"})
    details = client.get_string_details("button_color", "fallback", context)
    assert details.value in ("green", "red")
    assert details.reason == Reason.SPLIT
    assert details.variant in ("control", "red")
    assert details.flag_metadata["experiment"] == "checkout-cta"
    assert details.flag_metadata["decision_id"]
    again = client.get_string_details(
        "button_color", "fallback", EvaluationContext("u-42", {"country": "US"})
    )
    assert again.value == details.value, "enrolment is sticky even when attributes change"


def test_defaults_and_types_through_the_sdk(client):
    context = EvaluationContext(targeting_key="u-7", attributes={"country": "US"})
    assert client.get_string_details("button_color", "fallback", context).reason == Reason.DEFAULT
    assert client.get_boolean_value("new_search", True, context) is False
    assert client.get_integer_value("max_items", 0, context) == 10
    assert client.get_object_value("layout", {}, context) == {"columns": 2}
    static = client.get_boolean_details("new_search", True, context)
    assert static.reason == Reason.STATIC and static.flag_metadata["lotty_reason"] == "no_active_experiment"


def test_errors_through_the_sdk(client):
    missing = client.get_string_details("no_such_flag", "fallback", EvaluationContext("u-1"))
    assert missing.value == "fallback" and missing.error_code == ErrorCode.FLAG_NOT_FOUND
    no_key = client.get_string_details("button_color", "fallback", EvaluationContext())
    assert no_key.value == "fallback" and no_key.error_code == ErrorCode.TARGETING_KEY_MISSING
    wrong_type = client.get_boolean_details("button_color", False, EvaluationContext("u-1"))
    assert wrong_type.error_code == ErrorCode.TYPE_MISMATCH


def test_bulk_evaluation_with_etag(server):
    headers = {"Authorization": f"Bearer {server.sdk_key}"}
    body = {"context": {"targetingKey": "u-42", "country": "RU"}}
    first = httpx.post(f"{server.url}/ofrep/v1/evaluate/flags", json=body, headers=headers)
    assert first.status_code == 200
    assert {f["key"] for f in first.json()["flags"]} == {"button_color", "new_search", "max_items", "layout"}
    etag = first.headers["etag"]
    unchanged = httpx.post(
        f"{server.url}/ofrep/v1/evaluate/flags", json=body, headers={**headers, "If-None-Match": etag}
    )
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == etag
    other = httpx.post(
        f"{server.url}/ofrep/v1/evaluate/flags",
        json={"context": {"targetingKey": "u-9"}},
        headers={**headers, "If-None-Match": etag},
    )
    assert other.status_code in (200, 304)
    assert (
        httpx.post(f"{server.url}/ofrep/v1/evaluate/flags", json={"context": {}}, headers=headers).json()[
            "errorCode"
        ]
        == "TARGETING_KEY_MISSING"
    )
    assert httpx.post(f"{server.url}/ofrep/v1/evaluate/flags", json=body).status_code == 401
