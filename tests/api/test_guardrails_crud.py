"""Guardrail rules of an experiment (SPEC §2.5): create, read, change, delete, and when each is allowed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.helpers import API, EXP, STATUSES, Crew, assert_error, fresh, read, serve
from tests.conftest import Caller

RULE = {"metric": "click_rate", "operator": "<", "threshold": 0.05, "window_minutes": 60, "action": "pause"}


def rule(**overrides: Any) -> dict[str, Any]:
    return {**RULE, **overrides}


class World(Crew):
    def experiment(self, status: str = "draft") -> str:
        """An experiment on a flag of its own, driven to `status`; returns its key."""
        flag, key = self.new_flag(default="a"), fresh("exp-")
        response = self.owner.post(
            EXP,
            {
                "key": key,
                "flag": flag,
                "variants": [
                    {"name": "control", "value": "a", "weight": 50, "control": True},
                    {"name": "b", "value": "b", "weight": 50},
                ],
            },
        )
        assert response.status_code == 201, response.text
        self.drive(key, status)
        return key

    def add(self, key: str, caller: Caller | None = None, **overrides: Any) -> dict[str, Any]:
        response = (caller or self.owner).post(f"{EXP}/{key}/guardrails", rule(**overrides))
        assert response.status_code == 201, response.text
        return response.json()

    def rules(self, key: str) -> list[dict[str, Any]]:
        return read(self.viewer, f"{EXP}/{key}/guardrails")["items"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One server for the module: every test works on experiments of its own."""
    with serve(tmp_path_factory, "guardrails") as server:
        w = World.hire(server.admin)
        assert w.owner.post(f"{API}/event-types", {"key": "click"}).status_code == 201
        for metric in ("click_rate", "old_rate"):
            body = {"key": metric, "kind": "conversion", "event_type": "click"}
            assert w.owner.post(f"{API}/metrics", body).status_code == 201
        body = {"key": "clicks", "kind": "count", "event_type": "click"}
        assert w.owner.post(f"{API}/metrics", body).status_code == 201
        assert w.owner.post(f"{API}/metrics/old_rate/archive").status_code == 200
        yield w


# -- create and read ------------------------------------------------------------------------------
def test_create_answers_201_with_min_samples_defaulting_to_0(world: World) -> None:
    key = world.experiment()
    response = world.owner.post(f"{EXP}/{key}/guardrails", RULE)
    assert response.status_code == 201, response.text
    created = response.json()
    assert {k: created[k] for k in RULE} == RULE
    assert created["experiment"] == key and created["min_samples"] == 0
    assert isinstance(created["id"], str) and created["id"]
    assert created["created_at"].endswith("Z")
    assert world.viewer.get(f"{EXP}/{key}/guardrails/{created['id']}").json() == created
    assert world.rules(key) == [created]

    second = world.add(key, metric="clicks", operator=">=", threshold=1000, action="rollback", min_samples=50)
    assert second["min_samples"] == 50 and second["action"] == "rollback"
    assert [g["id"] for g in world.rules(key)] == [second["id"], created["id"]]  # newest first


@pytest.mark.parametrize(
    "operator_action", [(">", "pause"), (">=", "rollback"), ("<", "rollback"), ("<=", "pause")]
)
def test_every_operator_and_action_is_accepted(world: World, operator_action: tuple[str, str]) -> None:
    operator, action = operator_action
    created = world.add(world.experiment(), operator=operator, action=action, threshold=-1.5)
    assert (created["operator"], created["action"], created["threshold"]) == (operator, action, -1.5)


@pytest.mark.parametrize("missing", ["metric", "operator", "threshold", "window_minutes", "action"])
def test_a_missing_required_field_is_400_naming_it(world: World, missing: str) -> None:
    key = world.experiment()
    body = rule()
    del body[missing]
    assert_error(world.owner.post(f"{EXP}/{key}/guardrails", body), 400, field=missing, field_in_message=True)
    assert world.rules(key) == []


INVALID_RULES = [
    pytest.param({"operator": "="}, None, id="operator-equals"),
    pytest.param({"operator": "!="}, None, id="operator-not-equals"),
    pytest.param({"operator": "gt"}, None, id="operator-word"),
    pytest.param({"operator": ""}, None, id="operator-empty"),
    pytest.param({"action": "stop"}, None, id="action-stop"),
    pytest.param({"action": "rollout"}, None, id="action-rollout"),
    pytest.param({"action": "PAUSE"}, None, id="action-uppercase"),
    pytest.param({"metric": "no_such_metric"}, "metric", id="unknown-metric"),
    pytest.param({"metric": "old_rate"}, "metric", id="archived-metric"),
    pytest.param({"window_minutes": 0}, "window_minutes", id="window-zero"),
    pytest.param({"window_minutes": -60}, "window_minutes", id="window-negative"),
    pytest.param({"window_minutes": 10**9}, "window_minutes", id="window-huge"),
    pytest.param({"min_samples": -1}, "min_samples", id="min-samples-negative"),
    pytest.param({"threshold": "low"}, None, id="threshold-word"),
    pytest.param({"threshold": None}, None, id="threshold-null"),
    pytest.param({"window_minutes": 1.5}, None, id="window-fraction"),
    pytest.param({"metric": 5}, None, id="metric-number"),
    pytest.param({"experiment": "other"}, "experiment", id="experiment-is-not-input"),
    pytest.param({"id": "grd_x"}, "id", id="id-is-not-input"),
    pytest.param({"note": "x"}, "note", id="unknown-field"),
]


@pytest.fixture(scope="module")
def standing(world: World) -> tuple[str, dict[str, Any]]:
    """A draft with one rule, for the tables of refused requests (which change nothing)."""
    key = world.experiment()
    return key, world.add(key)


@pytest.mark.parametrize(("overrides", "field"), INVALID_RULES)
def test_an_invalid_rule_is_400_and_adds_nothing(
    world: World, standing: tuple[str, dict[str, Any]], overrides: dict, field: str | None
) -> None:
    key, kept = standing
    response = world.owner.post(f"{EXP}/{key}/guardrails", rule(**overrides))
    assert_error(response, 400, field=field, field_in_message=True)
    assert world.rules(key) == [kept]


@pytest.mark.parametrize(("overrides", "field"), INVALID_RULES)
def test_an_invalid_patch_is_400_and_changes_nothing(
    world: World, standing: tuple[str, dict[str, Any]], overrides: dict, field: str | None
) -> None:
    key, kept = standing
    path = f"{EXP}/{key}/guardrails/{kept['id']}"
    assert_error(world.owner.patch(path, overrides), 400, field=field, field_in_message=True)
    assert world.viewer.get(path).json() == kept


def test_a_duplicate_rule_is_409(world: World) -> None:
    key = world.experiment()
    first = world.add(key)
    assert_error(world.owner.post(f"{EXP}/{key}/guardrails", RULE), 409, "DUPLICATE_GUARDRAIL")
    assert_error(
        world.admin.post(f"{EXP}/{key}/guardrails", rule(threshold=0.050)), 409, "DUPLICATE_GUARDRAIL"
    )
    assert world.rules(key) == [first]
    second = world.add(key, threshold=0.04)
    world.add(world.experiment())  # the same rule on another experiment is no duplicate
    # Changing a rule into a copy of another is a duplicate too; "changing" it into itself is not.
    path = f"{EXP}/{key}/guardrails/{second['id']}"
    assert_error(world.owner.patch(path, {"threshold": 0.05}), 409, "DUPLICATE_GUARDRAIL")
    assert world.owner.patch(path, {"threshold": 0.04}).status_code == 200
    assert world.owner.patch(f"{EXP}/{key}/guardrails/{first['id']}", RULE).status_code == 200


# -- change and delete, by experiment status -------------------------------------------------------
# status → whether (add, change, delete) are allowed
ALLOWED_BY_STATUS = {
    "draft": (True, True, True),
    "in_review": (True, True, True),
    "approved": (True, True, True),
    "rejected": (True, True, True),
    "running": (True, False, False),
    "paused": (True, True, True),
    "completed": (False, False, False),
    "archived": (False, False, False),
}


@pytest.mark.parametrize("status", STATUSES)
def test_what_may_change_in_each_status(world: World, status: str) -> None:
    can_add, can_change, can_delete = ALLOWED_BY_STATUS[status]
    key = world.experiment()
    kept = world.add(key)
    world.drive(key, status)
    path = f"{EXP}/{key}/guardrails/{kept['id']}"

    added = world.owner.post(f"{EXP}/{key}/guardrails", rule(threshold=0.01, action="rollback"))
    if can_add:
        assert added.status_code == 201, added.text
    else:
        assert_error(added, 409)
    for caller in (world.owner, world.admin):
        changed = caller.patch(path, {"threshold": 0.02, "min_samples": 100})
        if can_change:
            assert changed.status_code == 200, changed.text
            assert changed.json()["threshold"] == 0.02 and changed.json()["min_samples"] == 100
        else:
            assert_error(changed, 409)
            assert world.viewer.get(path).json() == kept
    for caller in (world.owner, world.admin):
        deleted = caller.delete(path)
        if can_delete:
            assert deleted.status_code == 204, deleted.text
            assert_error(world.viewer.get(path), 404, "NOT_FOUND")
            break
        assert_error(deleted, 409)
        assert world.viewer.get(path).json() == kept
    assert len(world.rules(key)) == (1 if can_add else 0) + (0 if can_delete else 1)


def test_patch_changes_only_the_given_fields(world: World) -> None:
    key = world.experiment()
    created = world.add(key, min_samples=10)
    path = f"{EXP}/{key}/guardrails/{created['id']}"
    response = world.owner.patch(path, {"operator": "<=", "action": "rollback"})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["operator"] == "<=" and changed["action"] == "rollback"
    unchanged = ("id", "experiment", "metric", "threshold", "window_minutes", "min_samples", "created_at")
    assert {k: changed[k] for k in unchanged} == {k: created[k] for k in unchanged}
    assert world.viewer.get(path).json() == changed


# -- who may change rules -------------------------------------------------------------------------
def test_only_the_owner_or_an_admin_changes_rules(world: World) -> None:
    key = world.experiment()
    created = world.add(key)
    path = f"{EXP}/{key}/guardrails/{created['id']}"
    for caller in (world.other, world.viewer, world.approver):
        assert_error(caller.post(f"{EXP}/{key}/guardrails", rule(threshold=0.01)), 403)
        assert_error(caller.patch(path, {"threshold": 0.01}), 403)
        assert_error(caller.delete(path), 403)
        assert caller.get(path).json() == created  # everyone reads
    assert world.rules(key) == [created]
    by_admin = world.add(key, world.admin, threshold=0.01)
    assert world.admin.patch(path, {"threshold": 0.02}).status_code == 200
    assert world.admin.delete(path).status_code == 204
    assert [g["id"] for g in world.rules(key)] == [by_admin["id"]]


def test_unknown_experiments_and_guardrails_are_404(world: World) -> None:
    key, elsewhere = world.experiment(), world.experiment()
    foreign = world.add(elsewhere)
    for response in (
        world.owner.post(f"{EXP}/no-such/guardrails", RULE),
        world.owner.get(f"{EXP}/no-such/guardrails"),
        world.owner.get(f"{EXP}/no-such/guardrails/{foreign['id']}"),
        world.owner.patch(f"{EXP}/no-such/guardrails/{foreign['id']}", {"threshold": 1}),
        world.owner.delete(f"{EXP}/no-such/guardrails/{foreign['id']}"),
    ):
        assert_error(response, 404, "NOT_FOUND")
    for guardrail_id in ("grd_000000000000", foreign["id"]):  # unknown, or another experiment's
        path = f"{EXP}/{key}/guardrails/{guardrail_id}"
        assert_error(world.owner.get(path), 404, "NOT_FOUND")
        assert_error(world.owner.patch(path, {"threshold": 1}), 404, "NOT_FOUND")
        assert_error(world.owner.delete(path), 404, "NOT_FOUND")
    assert world.rules(elsewhere) == [foreign]


# -- the log --------------------------------------------------------------------------------------
def test_rule_changes_appear_in_the_experiment_log(world: World) -> None:
    key = world.experiment()
    created = world.add(key)
    path = f"{EXP}/{key}/guardrails/{created['id']}"
    changed = world.admin.patch(path, {"threshold": 0.07}).json()
    assert world.owner.delete(path).status_code == 204
    log = world.log(key)
    guardrail_entries = [e for e in log if e["entity"] == "guardrail"]
    assert [(e["action"], e["actor"]) for e in guardrail_entries] == [
        ("delete", world.owner.user_id),
        ("update", world.admin.user_id),
        ("create", world.owner.user_id),
    ]
    assert all(created["id"] in e["entity_key"] for e in guardrail_entries)
    delete, update, create = guardrail_entries
    assert create["before"] is None and create["after"]["threshold"] == 0.05
    assert update["before"]["threshold"] == 0.05 and update["after"] == changed
    assert delete["before"] == changed and delete["after"] is None
    assert [e["action"] for e in log] == ["delete", "update", "create", "create"]  # and the experiment's
    assert world.log(world.experiment())[0]["action"] == "create"  # other experiments' logs stay apart
