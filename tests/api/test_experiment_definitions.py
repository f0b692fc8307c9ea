"""Experiment definitions (SPEC §2.4): create, validate, version on PATCH, ownership, list filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.helpers import API, EXP, Crew, assert_error, fresh, read, serve
from tests.conftest import Caller


def definition(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": "checkout-cta",
        "flag": "button_color",
        "name": "Checkout CTA",
        "hypothesis": "red converts better",
        "traffic": 40,
        "variants": [
            {"name": "control", "value": "green", "weight": 20, "control": True},
            {"name": "red", "value": "red", "weight": 20},
        ],
        "primary_metric": "click_rate",
        "metrics": ["click_rate", "clicks"],
    }
    body.update(overrides)
    return body


def variants(*values: Any, weights: tuple[float, ...] | None = None) -> list[dict[str, Any]]:
    weights = weights or (50,) * len(values)
    return [
        {"name": f"v{i}", "value": value, "weight": weight, "control": i == 0}
        for i, (value, weight) in enumerate(zip(values, weights, strict=True))
    ]


class World(Crew):
    """A catalog (flags, metrics) and the people who act on it."""

    def create(self, **overrides: Any) -> dict[str, Any]:
        """A draft owned by `owner`; its key is unique unless given."""
        response = self.owner.post(EXP, definition(**{"key": fresh("exp-"), **overrides}))
        assert response.status_code == 201, response.text
        return response.json()

    def new_flag(self, type_: str = "string", default: Any = "green", by: Caller | None = None) -> str:
        """A flag of its own, made by the owner unless `by` is given."""
        return super().new_flag(type_, default, by or self.owner)

    def versions(self, key: str) -> list[dict[str, Any]]:
        return read(self.viewer, f"{EXP}/{key}/versions")["items"]


def build_world(admin: Caller) -> World:
    world = World.hire(admin, names=("owner", "approver", "other experimenter", "viewer"))
    for flag in (
        {"key": "button_color", "type": "string", "default": "green"},
        {"key": "price", "type": "number", "default": 10},
        {"key": "dark_mode", "type": "boolean", "default": False},
        {"key": "layout", "type": "json", "default": {"columns": 2}},
    ):
        assert world.owner.post(f"{API}/flags", flag).status_code == 201
    assert world.owner.post(f"{API}/event-types", {"key": "click"}).status_code == 201
    for metric in (
        {"key": "click_rate", "kind": "conversion", "event_type": "click"},
        {"key": "clicks", "kind": "count", "event_type": "click"},
        {"key": "old_rate", "kind": "conversion", "event_type": "click"},
    ):
        assert world.owner.post(f"{API}/metrics", metric).status_code == 201
    assert world.owner.post(f"{API}/metrics/old_rate/archive").status_code == 200
    return world


@pytest.fixture
def world(admin: Caller) -> World:
    """A fresh server: for tests that look at everything in it (lists, counts)."""
    return build_world(admin)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One server for the tables: every case uses keys of its own, so cases never meet."""
    with serve(tmp_path_factory, "definitions") as server:
        yield build_world(server.admin)


# -- create ---------------------------------------------------------------------------------------
def test_create_answers_201_draft_version_1_owned_by_the_caller(world: World) -> None:
    response = world.owner.post(EXP, definition(targeting='country IN ["RU", "KZ"]', domains=["checkout"]))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["key"] == "checkout-cta"
    assert created["flag"] == "button_color"
    assert created["name"] == "Checkout CTA" and created["hypothesis"] == "red converts better"
    assert created["status"] == "draft"
    assert created["version"] == 1
    assert created["owner"] == world.owner.user_id
    assert created["traffic"] == 40
    assert created["variants"] == [
        {"name": "control", "value": "green", "weight": 20, "control": True},
        {"name": "red", "value": "red", "weight": 20, "control": False},
    ]
    assert created["targeting"] == 'country IN ["RU", "KZ"]'
    assert created["primary_metric"] == "click_rate"
    assert created["metrics"] == ["click_rate", "clicks"]
    assert created["domains"] == ["checkout"]
    assert created["priority"] == 0
    assert created["started_at"] is None and created["ended_at"] is None and created["outcome"] is None
    assert created["created_at"].endswith("Z")
    assert world.get("checkout-cta") == created
    assert [v["version"] for v in world.versions("checkout-cta")] == [1]
    log = world.viewer.get(f"{EXP}/checkout-cta/log").json()["items"]
    assert [(e["action"], e["actor"]) for e in log] == [("create", world.owner.user_id)]


@pytest.mark.parametrize(
    ("flag", "values"),
    [("price", (9.99, 12)), ("dark_mode", (False, True)), ("layout", ({"columns": 2}, [1, 2, 3]))],
    ids=["number", "boolean", "json"],
)
def test_create_accepts_values_of_each_flag_type(shared: World, flag: str, values: tuple[Any, ...]) -> None:
    created = shared.create(flag=flag, traffic=100, variants=variants(*values))
    assert [v["value"] for v in created["variants"]] == list(values)


def test_weights_with_two_decimals_that_sum_exactly_to_traffic_are_accepted(shared: World) -> None:
    created = shared.create(traffic=100, variants=variants("a", "b", "c", weights=(33.33, 33.33, 33.34)))
    assert [v["weight"] for v in created["variants"]] == [33.33, 33.33, 33.34]
    created = shared.create(traffic=0.02, variants=variants("a", "b", weights=(0.01, 0.01)))
    assert created["traffic"] == 0.02


def test_primary_metric_alone_becomes_the_metrics_list(shared: World) -> None:
    created = shared.create(primary_metric="clicks", metrics=[])
    assert created["metrics"] == ["clicks"]
    assert shared.create(primary_metric=None, metrics=[])["metrics"] == []


def test_an_admin_may_create_but_viewers_and_approvers_may_not(shared: World) -> None:
    created = shared.admin.post(EXP, definition(key="by-admin"))
    assert created.status_code == 201 and created.json()["owner"] == shared.admin.user_id
    for caller in (shared.viewer, shared.approver):
        assert_error(caller.post(EXP, definition(key="not-allowed")), 403, "FORBIDDEN")
    assert_error(shared.owner.get(f"{EXP}/not-allowed"), 404, "NOT_FOUND")


TWO_CONTROLS = [
    {"name": "control", "value": "green", "weight": 20, "control": True},
    {"name": "red", "value": "red", "weight": 20, "control": True},
]
NO_CONTROL = [
    {"name": "control", "value": "green", "weight": 20},
    {"name": "red", "value": "red", "weight": 20},
]
SAME_NAMES = [
    {"name": "red", "value": "green", "weight": 20, "control": True},
    {"name": "red", "value": "red", "weight": 20},
]


def with_second(**variant: Any) -> list[dict[str, Any]]:
    """The default variants with the second one changed."""
    return [
        {"name": "control", "value": "green", "weight": 20, "control": True},
        {"name": "red", "value": "red", "weight": 20, **variant},
    ]


def case(name: str, overrides: dict[str, Any], field: str, code: str | None = None) -> Any:
    """One row of a validation table: the body change, the field the error must name, its code."""
    return pytest.param(overrides, field, code, id=name)


INVALID_DEFINITIONS = [
    case("key-uppercase", {"key": "Checkout"}, "key"),
    case("key-digit-first", {"key": "1checkout"}, "key"),
    case("key-too-short", {"key": "c"}, "key"),
    case("key-space", {"key": "check out"}, "key"),
    case("key-slash", {"key": "check/out"}, "key"),
    case("key-too-long", {"key": "c" * 129}, "key"),
    case("unknown-flag", {"flag": "no_such_flag"}, "flag"),
    case("one-variant", {"traffic": 20, "variants": with_second()[:1]}, "variants"),
    case("no-variants", {"variants": []}, "variants"),
    case("no-control", {"variants": NO_CONTROL}, "variants"),
    case("two-controls", {"variants": TWO_CONTROLS}, "variants"),
    case("duplicate-names", {"variants": SAME_NAMES}, "variants"),
    case("name-bad-char", {"variants": with_second(name="red!")}, "variants[1].name"),
    case("name-empty", {"variants": with_second(name="")}, "variants[1].name"),
    case("name-space", {"variants": with_second(name="big red")}, "variants[1].name"),
    case("name-too-long", {"variants": with_second(name="r" * 65)}, "variants[1].name"),
    case("string-flag-number", {"variants": with_second(value=5)}, "variants[1].value"),
    case("string-flag-null", {"variants": with_second(value=None)}, "variants[1].value"),
    case(
        "string-flag-missing-value",
        {
            "variants": [
                {"name": "control", "value": "green", "weight": 20, "control": True},
                {"name": "red", "weight": 20},
            ]
        },
        "value",
    ),
    case(
        "number-flag-string",
        {"flag": "price", "variants": variants(1, "2", weights=(20, 20))},
        "variants[1].value",
    ),
    case(
        "number-flag-boolean",
        {"flag": "price", "variants": variants(1, True, weights=(20, 20))},
        "variants[1].value",
    ),
    case(
        "boolean-flag-string",
        {"flag": "dark_mode", "variants": variants(False, "true", weights=(20, 20))},
        "variants[1].value",
    ),
    case(
        "boolean-flag-number",
        {"flag": "dark_mode", "variants": variants(False, 1, weights=(20, 20))},
        "variants[1].value",
    ),
    case("weight-zero", {"traffic": 20, "variants": with_second(weight=0)}, "variants[1].weight"),
    case("weight-negative", {"traffic": 15, "variants": with_second(weight=-5)}, "variants[1].weight"),
    case("weight-3-decimals", {"variants": with_second(weight=20.005)}, "variants[1].weight"),
    case(
        "weights-99.99-of-100",
        {"traffic": 100, "variants": variants("a", "b", "c", weights=(33.33,) * 3)},
        "variants",
    ),
    case("weights-below-traffic", {"traffic": 50}, "variants"),
    case("weights-above-traffic", {"traffic": 30}, "variants"),
    case("traffic-above-100", {"traffic": 100.01, "variants": with_second(weight=80.01)}, "traffic"),
    case("traffic-200", {"traffic": 200, "variants": with_second(weight=180)}, "traffic"),
    case("traffic-zero", {"traffic": 0}, "traffic"),
    case("traffic-negative", {"traffic": -40}, "traffic"),
    case("traffic-3-decimals", {"traffic": 40.001}, "traffic"),
    case("unknown-metric", {"metrics": ["click_rate", "no_such_metric"]}, "metrics"),
    case("archived-metric", {"metrics": ["click_rate", "old_rate"]}, "metrics"),
    case("unknown-primary-metric", {"primary_metric": "no_such_metric", "metrics": []}, "primary_metric"),
    case("archived-primary-metric", {"primary_metric": "old_rate", "metrics": []}, "primary_metric"),
    case("primary-not-in-metrics", {"primary_metric": "click_rate", "metrics": ["clicks"]}, "primary_metric"),
    case("duplicate-metrics", {"metrics": ["click_rate", "click_rate"]}, "metrics"),
    case("targeting-unclosed", {"targeting": 'country IN ["RU"'}, "targeting", code="INVALID_TARGETING"),
    case("targeting-no-operand", {"targeting": "country =="}, "targeting", code="INVALID_TARGETING"),
    case("targeting-garbage", {"targeting": "AND AND"}, "targeting", code="INVALID_TARGETING"),
    case("unknown-field", {"colour": "red"}, "colour"),
    case("unknown-variant-field", {"variants": with_second(colour="red")}, "colour"),
    case("status-is-not-input", {"status": "running"}, "status"),
    case("owner-is-not-input", {"owner": "usr_x"}, "owner"),
    case("version-is-not-input", {"version": 7}, "version"),
    case("name-blank", {"name": "   "}, "name"),
    case("bad-domain", {"domains": ["Check Out"]}, "domains"),
    # values of the wrong JSON type
    case("traffic-string", {"traffic": "forty"}, "traffic"),
    case("traffic-boolean", {"traffic": True}, "traffic"),
    case("variants-object", {"variants": {"control": "green"}}, "variants"),
    case("weight-word", {"variants": with_second(weight="twenty")}, "variants[1].weight"),
    case("control-word", {"variants": with_second(control="yes")}, "variants[1].control"),
    case("metrics-string", {"metrics": "click_rate"}, "metrics"),
    case("priority-float", {"priority": 1.5}, "priority"),
    case("key-number", {"key": 5}, "key"),
    case("name-number", {"name": 5}, "name"),
    case("targeting-list", {"targeting": ["country"]}, "targeting"),
    case("weight-numeric-string", {"variants": with_second(weight="20")}, "variants[1].weight"),
    case("traffic-numeric-string", {"traffic": "40"}, "traffic"),
    case("control-string-true", {"variants": with_second(control="true")}, "variants[1].control"),
]


@pytest.mark.parametrize(("overrides", "field", "code"), INVALID_DEFINITIONS)
def test_an_invalid_definition_is_400_naming_the_field_and_creates_nothing(
    shared: World, overrides: dict[str, Any], field: str, code: str | None
) -> None:
    body = definition(**{"key": fresh("invalid-"), **overrides})
    error = assert_error(shared.owner.post(EXP, body), 400, code, field, field_in_message=True)
    if code == "INVALID_TARGETING":
        assert isinstance(error["details"]["column"], int) and error["details"]["column"] >= 1, error
    assert_error(shared.viewer.get(f"{EXP}/{body['key']}"), 404)


@pytest.mark.parametrize("missing", ["key", "flag", "variants"])
def test_a_missing_required_field_is_400_naming_it(shared: World, missing: str) -> None:
    body = definition(key=fresh("missing-"))
    del body[missing]
    assert_error(shared.owner.post(EXP, body), 400, field=missing, field_in_message=True)


@pytest.mark.parametrize("body", [[], "checkout", None], ids=["array", "string", "no-body"])
def test_a_body_that_is_not_an_object_is_400(shared: World, body: Any) -> None:
    assert_error(shared.owner.post(EXP, body), 400)


def test_malformed_json_is_400(shared: World) -> None:
    response = shared.owner.client.post(
        EXP,
        content=b'{"key": ',
        headers={"Authorization": f"Bearer {shared.owner.key}", "Content-Type": "application/json"},
    )
    assert_error(response, 400)


def test_a_duplicate_key_is_409_and_keeps_the_first(shared: World) -> None:
    first = shared.create()
    body = definition(key=first["key"], flag="price", variants=variants(1, 2, weights=(20, 20)))
    assert_error(shared.other.post(EXP, body), 409, "DUPLICATE_KEY")
    assert shared.get(first["key"]) == first


# -- PATCH and versions ---------------------------------------------------------------------------
def test_patch_in_draft_creates_version_2_and_keeps_version_1(shared: World) -> None:
    v1 = shared.create()
    key = v1["key"]
    response = shared.owner.patch(
        f"{EXP}/{key}", {"traffic": 60, "variants": with_second(weight=40), "targeting": 'country == "RU"'}
    )
    assert response.status_code == 200, response.text
    v2 = response.json()
    assert v2["version"] == 2 and v2["status"] == "draft"
    assert v2["traffic"] == 60 and v2["variants"][1]["weight"] == 40
    assert v2["targeting"] == 'country == "RU"'
    assert v2["owner"] == v1["owner"] and v2["created_at"] == v1["created_at"]
    assert shared.get(key) == v2

    versions = shared.versions(key)
    assert [v["version"] for v in versions] == [2, 1]
    old = versions[1]
    assert old["experiment"] == key
    assert old["traffic"] == 40 and old["variants"] == v1["variants"] and old["targeting"] is None
    assert versions[0]["traffic"] == 60 and versions[0]["created_by"] == shared.owner.user_id

    response = shared.owner.patch(f"{EXP}/{key}", {"hypothesis": "red converts much better"})
    assert response.json()["version"] == 3
    versions = shared.versions(key)
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert versions[0]["traffic"] == 60 and versions[0]["hypothesis"] == "red converts much better"
    assert versions[1]["hypothesis"] == "red converts better"
    log = shared.viewer.get(f"{EXP}/{key}/log").json()["items"]
    assert [e["action"] for e in log] == ["update", "update", "create"]


@pytest.mark.parametrize(
    "patch",
    [
        {},
        {"name": "Checkout CTA"},
        {"traffic": 40.0, "metrics": ["click_rate", "clicks"]},
        {"variants": with_second()},
        {"targeting": None, "primary_metric": "click_rate"},
        {"targeting": "   "},
    ],
    ids=[
        "empty",
        "same-name",
        "same-traffic-and-metrics",
        "same-variants",
        "same-targeting-and-primary",
        "blank-targeting-is-none",
    ],
)
def test_patch_without_a_change_creates_no_version(shared: World, patch: dict[str, Any]) -> None:
    v1 = shared.create()
    response = shared.owner.patch(f"{EXP}/{v1['key']}", patch)
    assert response.status_code == 200, response.text
    assert response.json() == v1
    assert [v["version"] for v in shared.versions(v1["key"])] == [1]
    assert len(shared.viewer.get(f"{EXP}/{v1['key']}/log").json()["items"]) == 1


def test_patch_in_rejected_is_allowed_and_creates_a_version(shared: World) -> None:
    key = shared.create()["key"]
    shared.drive(key, "rejected")
    response = shared.owner.patch(f"{EXP}/{key}", {"hypothesis": "reworded"})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2 and response.json()["status"] == "rejected"
    assert [v["version"] for v in shared.versions(key)] == [2, 1]


@pytest.mark.parametrize("status", ["in_review", "approved", "running", "paused", "completed", "archived"])
def test_patch_outside_draft_and_rejected_is_409_and_changes_nothing(shared: World, status: str) -> None:
    key = shared.create(flag=shared.new_flag())["key"]
    before = shared.drive(key, status)
    for patch in ({"traffic": 60, "variants": with_second(weight=40)}, {"hypothesis": "edited"}):
        assert_error(shared.owner.patch(f"{EXP}/{key}", patch), 409)
        assert_error(shared.admin.patch(f"{EXP}/{key}", patch), 409)
    assert shared.get(key) == before
    versions = shared.versions(key)
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["traffic"] == 40 and versions[0]["hypothesis"] == "red converts better"


@pytest.mark.parametrize(
    ("patch", "field", "code"),
    [
        pytest.param({"traffic": 50}, "variants", None, id="weights-off-traffic"),
        pytest.param(
            {"variants": with_second(weight=20.001)}, "variants[1].weight", None, id="weight-3-decimals"
        ),
        pytest.param({"variants": with_second(value=3)}, "variants[1].value", None, id="value-wrong-type"),
        pytest.param({"variants": with_second(control=True)}, "variants", None, id="two-controls"),
        pytest.param({"variants": with_second()[:1]}, "variants", None, id="one-variant"),
        pytest.param({"targeting": "country IN"}, "targeting", "INVALID_TARGETING", id="bad-targeting"),
        pytest.param({"primary_metric": "old_rate"}, "primary_metric", None, id="archived-primary"),
        pytest.param({"primary_metric": "nope"}, "primary_metric", None, id="unknown-primary"),
        pytest.param({"metrics": ["no_such_metric"]}, "metrics", None, id="unknown-metric"),
        pytest.param({"name": ""}, "name", None, id="blank-name"),
        pytest.param({"flag": "price"}, "flag", None, id="flag-is-fixed"),
        pytest.param({"key": "renamed"}, "key", None, id="key-is-fixed"),
        pytest.param({"status": "running"}, "status", None, id="status-is-fixed"),
        pytest.param({"owner": "usr_x"}, "owner", None, id="owner-is-fixed"),
        pytest.param({"traffic": "all"}, "traffic", None, id="traffic-word"),
    ],
)
def test_an_invalid_patch_is_400_and_creates_no_version(
    shared: World, patch: dict[str, Any], field: str, code: str | None
) -> None:
    v1 = shared.create()
    error = assert_error(
        shared.owner.patch(f"{EXP}/{v1['key']}", patch), 400, code, field, field_in_message=True
    )
    if code == "INVALID_TARGETING":
        assert isinstance(error["details"]["column"], int), error
    assert shared.get(v1["key"]) == v1
    assert [v["version"] for v in shared.versions(v1["key"])] == [1]


def test_unknown_experiments_are_404(shared: World) -> None:
    for response in (
        shared.owner.get(f"{EXP}/no-such"),
        shared.owner.patch(f"{EXP}/no-such", {"hypothesis": "x"}),
        shared.owner.get(f"{EXP}/no-such/versions"),
        shared.owner.get(f"{EXP}/no-such/reviews"),
        shared.owner.get(f"{EXP}/no-such/log"),
    ):
        assert_error(response, 404, "NOT_FOUND")


def test_experimenters_edit_only_their_own_experiments(shared: World) -> None:
    v1 = shared.create()
    key = v1["key"]
    for caller in (shared.other, shared.viewer, shared.approver):
        assert_error(caller.patch(f"{EXP}/{key}", {"hypothesis": "mine now"}), 403)
        assert_error(caller.patch(f"{EXP}/{key}", {}), 403)
    assert shared.get(key) == v1
    response = shared.admin.patch(f"{EXP}/{key}", {"hypothesis": "edited by an admin"})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2 and response.json()["owner"] == shared.owner.user_id
    assert shared.versions(key)[0]["created_by"] == shared.admin.user_id


# -- list -----------------------------------------------------------------------------------------
def test_list_filters_by_status_and_flag(world: World) -> None:
    world.create(key="a-draft")
    world.create(key="b-review")
    world.drive("b-review", "in_review")
    world.create(key="c-price", flag="price", variants=variants(1, 2, weights=(20, 20)))

    def keys(query: str) -> list[str]:
        response = world.viewer.get(f"{EXP}{query}")
        assert response.status_code == 200, response.text
        return [e["key"] for e in response.json()["items"]]

    assert keys("") == ["c-price", "b-review", "a-draft"]  # newest first
    assert keys("?status=draft") == ["c-price", "a-draft"]
    assert keys("?status=in_review") == ["b-review"]
    assert keys("?status=running") == []
    assert keys("?flag=button_color") == ["b-review", "a-draft"]
    assert keys("?flag=price") == ["c-price"]
    assert keys("?flag=button_color&status=draft") == ["a-draft"]
    assert keys("?flag=no_such_flag") == []
    assert_error(world.viewer.get(f"{EXP}?status=bogus"), 400)

    first = world.viewer.get(f"{EXP}?limit=2").json()
    assert [e["key"] for e in first["items"]] == ["c-price", "b-review"]
    second = world.viewer.get(f"{EXP}?limit=2&cursor={first['next_cursor']}").json()
    assert [e["key"] for e in second["items"]] == ["a-draft"] and second["next_cursor"] is None
