"""POST /api/v1/decide over HTTP: input checks, auth, lifecycle effects, durability, stickiness."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from litestar.testing import TestClient

from api.app import create_app
from lotty.instance import Lotty
from lotty.tokens import verify_decision_id
from tests.conftest import ADMIN_KEY, Caller

RU = {"country": "RU", "app_version": "1.7.2"}


def start_experiment(
    admin: Caller,
    approver: Caller,
    key: str = "checkout-cta",
    flag: str = "button_color",
    traffic: float = 100,
    **extra,
) -> None:
    if admin.get(f"/api/v1/flags/{flag}").status_code == 404:
        assert (
            admin.post("/api/v1/flags", {"key": flag, "type": "string", "default": "green"}).status_code
            == 201
        )
    body = {
        "key": key,
        "flag": flag,
        "traffic": traffic,
        "variants": [
            {"name": "control", "value": "green", "weight": traffic / 2, "control": True},
            {"name": "red", "value": "red", "weight": traffic / 2},
        ],
        **extra,
    }
    assert admin.post("/api/v1/experiments", body).status_code == 201
    admin.post(f"/api/v1/experiments/{key}/submit")
    assert approver.post(f"/api/v1/experiments/{key}/approve").json()["status"] == "approved"
    assert admin.post(f"/api/v1/experiments/{key}/start").json()["status"] == "running"


@pytest.fixture
def running(admin, make_user):
    start_experiment(admin, make_user("approver"), targeting='country IN ["RU", "KZ"]')
    admin.post("/api/v1/flags", {"key": "new_search", "type": "boolean", "default": False})
    return admin


def decide(caller: Caller, subject="u-1", attributes=None, flags=None, **kw):
    body = {"subject_id": subject, "attributes": RU if attributes is None else attributes}
    if flags is not None:
        body["flags"] = flags
    return caller.post("/api/v1/decide", body, **kw)


def test_decisions_in_request_order_with_every_field(running):
    response = decide(running, flags=["new_search", "button_color", "ghost"])
    assert response.status_code == 200, response.text
    decisions = response.json()["decisions"]
    assert [d["flag"] for d in decisions] == ["new_search", "button_color", "ghost"]
    assert decisions[0] | {"decision_id": None} == {
        "flag": "new_search",
        "value": False,
        "reason": "no_active_experiment",
        "decision_id": None,
        "experiment": None,
        "experiment_version": None,
        "variant": None,
    }
    assert decisions[1]["reason"] == "experiment_assigned" and decisions[1]["experiment"] == "checkout-cta"
    assert decisions[1]["experiment_version"] == 1 and decisions[1]["value"] == {"control": "green"}.get(
        decisions[1]["variant"], "red"
    )
    assert decisions[2]["reason"] == "flag_not_found" and decisions[2]["value"] is None


def test_decision_ids_verify_carry_the_decision_and_are_new_each_call(running, lotty):
    first = decide(running, flags=["button_color"]).json()["decisions"][0]
    second = decide(running, flags=["button_color"]).json()["decisions"][0]
    assert first["decision_id"] != second["decision_id"]
    claims = verify_decision_id(lotty.secret, first["decision_id"])
    assert (claims.flag, claims.experiment, claims.version, claims.variant) == (
        "button_color",
        "checkout-cta",
        1,
        first["variant"],
    )
    assert claims.matches_subject("u-1") and not claims.matches_subject("u-2")


def test_new_enrolment_is_durable_before_the_answer_and_made_once(running, lotty):
    decide(running, flags=["button_color"])
    decide(running, attributes={"country": "US"}, flags=["button_color"])
    lotty.writer.flush()
    rows = lotty.store.cursor().execute("SELECT experiment, subject_id, variant FROM enrolments").fetchall()
    assert len(rows) == 1 and rows[0][:2] == ("checkout-cta", "u-1")


def test_concurrent_calls_for_one_subject_enrol_it_once(running, lotty):
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: decide(running, subject="u-race", flags=["button_color"]).json(), range(40))
        )
    assert len({a["decisions"][0]["variant"] for a in answers}) == 1
    lotty.writer.flush()
    count = (
        lotty.store.cursor().execute("SELECT count(*) FROM enrolments WHERE subject_id = 'u-race'").fetchone()
    )
    assert count == (1,)


def test_pause_resume_and_complete_change_what_decide_serves(running, lotty):
    variant = decide(running, flags=["button_color"]).json()["decisions"][0]["variant"]
    running.post("/api/v1/experiments/checkout-cta/pause")
    paused = decide(running, flags=["button_color"]).json()["decisions"][0]
    assert (paused["reason"], paused["value"], paused["experiment"]) == (
        "experiment_paused",
        "green",
        "checkout-cta",
    )
    running.post("/api/v1/experiments/checkout-cta/resume")
    assert decide(running, flags=["button_color"]).json()["decisions"][0]["variant"] == variant
    running.post(
        "/api/v1/experiments/checkout-cta/complete",
        {"outcome": "rollout_winner", "winner": "red", "comment": "red wins", "promote": True},
    )
    done = decide(running, flags=["button_color"]).json()["decisions"][0]
    assert (done["reason"], done["value"], done["experiment"]) == ("no_active_experiment", "red", None)


def test_enrolment_is_sticky_across_a_restart(running, lotty, settings, clock):
    first = {
        s: decide(running, subject=s, flags=["button_color"]).json()["decisions"][0] for s in ("a", "b", "c")
    }
    lotty.close()
    reopened = Lotty(settings, clock=clock)
    try:
        with TestClient(create_app(lotty=reopened)) as client:
            caller = Caller(client, ADMIN_KEY)
            for subject, before in first.items():
                after = decide(caller, subject=subject, attributes={}, flags=["button_color"]).json()[
                    "decisions"
                ][0]
                if before["reason"] == "experiment_assigned":
                    assert (after["reason"], after["variant"]) == ("experiment_assigned", before["variant"])
        count = reopened.store.cursor().execute("SELECT count(*) FROM enrolments").fetchone()[0]
        assert count == sum(1 for d in first.values() if d["reason"] == "experiment_assigned")
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"attributes": {}}, "subject_id"),
        ({"subject_id": ""}, "subject_id"),
        ({"subject_id": "   "}, "subject_id"),
        ({"subject_id": "x" * 300}, "subject_id"),
        ({"subject_id": 42}, "subject_id"),
        ({"subject_id": "u", "flags": [f"f{i}" for i in range(101)]}, "flags"),
        ({"subject_id": "u", "flags": "button_color"}, "flags"),
        ({"subject_id": "u", "attributes": {"device": {"os": "ios"}}}, "attributes"),
        ({"subject_id": "u", "attributes": {"tags": [{"a": 1}]}}, "attributes"),
        ({"subject_id": "u", "attributes": ["RU"]}, "attributes"),
        ({"subject_id": "u", "surprise": 1}, None),
    ],
)
def test_bad_input_is_400_with_a_clear_message(running, body, field):
    response = running.post("/api/v1/decide", body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["message"]
    if field is not None:
        assert field in error["message"] or field in str(error["details"].get("field", "")), error


def test_body_over_64_kib_is_400(running):
    body = json.dumps({"subject_id": "u", "attributes": {"blob": "x" * 70_000}}).encode()
    response = running.client.post(
        "/api/v1/decide", content=body, headers={**running._headers(), "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "BODY_TOO_LARGE"


def test_lists_of_scalars_are_valid_attributes(running):
    response = decide(
        running, attributes={"tags": ["a", 1, True, None], "country": "RU"}, flags=["button_color"]
    )
    assert response.status_code == 200


def test_any_valid_key_may_decide_but_none_is_401(running, make_user):
    assert decide(make_user("sdk")).status_code == 200
    assert decide(make_user("viewer")).status_code == 200
    assert decide(Caller(running.client, None)).status_code == 401
    assert decide(Caller(running.client, "lotty_wrong")).status_code == 401


def test_runtime_auth_off_opens_decide_without_a_key(lotty, settings):
    lotty.settings = dataclasses.replace(settings, runtime_auth=False)
    with TestClient(create_app(lotty=lotty)) as client:
        assert decide(Caller(client, None)).status_code == 200
        assert Caller(client, None).get("/api/v1/flags").status_code == 401  # admin routes still need a key


@pytest.mark.parametrize(("mode", "expect_rows"), [("sync", True), ("off", False)])
def test_decision_log_modes(lotty, settings, clock, mode, expect_rows, tmp_path):
    lotty.close()
    configured = dataclasses.replace(settings, decision_log=mode)
    instance = Lotty(configured, clock=clock)
    try:
        with TestClient(create_app(lotty=instance)) as client:
            caller = Caller(client, ADMIN_KEY)
            caller.post("/api/v1/flags", {"key": "plain", "type": "string", "default": "x"})
            decide(caller, flags=["plain"])
        instance.writer.flush()
        rows = instance.store.cursor().execute("SELECT flag, reason, value FROM decisions").fetchall()
        assert rows == ([("plain", "no_active_experiment", '"x"')] if expect_rows else [])
    finally:
        instance.close()


def test_async_decision_log_lands_in_the_lake_after_the_answer(running, lotty):
    decide(running, flags=["new_search"])
    lotty.close()  # writes the decision log's buffer into the lake
    reopened = Lotty(lotty.settings, runtime=False)
    try:
        with reopened.store.read() as tx:
            rows = tx._cursor.execute("SELECT flag, reason FROM decisions").fetchall()
            hot = tx._cursor.execute("SELECT count(*) FROM decisions_hot").fetchone()
    finally:
        reopened.close()
    assert ("new_search", "no_active_experiment") in rows
    assert hot == (0,)  # straight to Parquet: never through DuckDB's hot tail


def test_a_body_over_64_kib_is_a_400_even_without_a_declared_length(admin):
    padding = b" " * 40_000

    def chunked():  # no Content-Length: the limit holds on the bytes that arrive
        yield b'{"subject_id": "u-1",'
        yield padding
        yield padding
        yield b'"flags": []}'

    response = admin.client.post("/api/v1/decide", content=chunked(), headers=admin._headers())
    assert "content-length" not in response.request.headers
    assert response.status_code == 400 and response.json()["error"]["code"] == "BODY_TOO_LARGE"
    answer = admin.client.post("/api/v1/decide", json={"subject_id": "u-1"}, headers=admin._headers())
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert int(answer.headers["content-length"]) == len(answer.content) and answer.headers["x-request-id"]
