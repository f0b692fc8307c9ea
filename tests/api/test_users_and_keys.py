"""Users, API keys, approver groups and what each role may call (SPEC §1 auth, §2.0, §2.4 reviews)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.helpers import ACTIONS, admin_caller, assert_error, create_user, serve, user_maker
from tests.conftest import ADMIN_KEY, Caller

ROLES = ("admin", "experimenter", "approver", "viewer", "sdk")
NON_ADMIN_ROLES = ROLES[1:]


def users_path(user_id: str = "", suffix: str = "") -> str:
    return f"/api/v1/users/{user_id}{suffix}" if user_id else "/api/v1/users"


def as_caller(admin: Caller, key: str, user_id: str | None = None) -> Caller:
    return Caller(admin.client, key, user_id)


def user_count(admin: Caller) -> int:
    return len(admin.get("/api/v1/users", params={"limit": 500}).json()["items"])


# Most tests here only add users with fresh names, so they share one server per module (fast); these
# two fixtures shadow conftest's. Tests about the set of admins use `lone_admin`, a server of their own.
@pytest.fixture(scope="module")
def admin(tmp_path_factory) -> Iterator[Caller]:
    with serve(tmp_path_factory, "users") as server:
        yield server.admin


@pytest.fixture(scope="module")
def make_user(admin: Caller) -> Callable[..., Caller]:
    return user_maker(admin)


@pytest.fixture
def lone_admin(client) -> Caller:
    """The only admin of a fresh server (conftest's function-scoped `client`)."""
    return admin_caller(client)


# -- creating users ------------------------------------------------------------------------------
def test_create_user_answers_id_name_role_and_a_key_that_works_at_once(admin):
    response = admin.post("/api/v1/users", {"name": "Ada", "role": "experimenter"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert {"id", "name", "role", "api_key"} <= set(body)
    assert body["name"] == "Ada" and body["role"] == "experimenter"
    assert isinstance(body["id"], str) and body["id"]
    assert isinstance(body["api_key"], str) and len(body["api_key"]) >= 32
    ada = as_caller(admin, body["api_key"], body["id"])
    assert ada.get("/api/v1/flags").status_code == 200
    created = ada.post("/api/v1/flags", {"key": "by_ada", "type": "boolean", "default": False})
    assert created.status_code == 201, created.text
    me = ada.get(users_path(body["id"])).json()
    assert me["id"] == body["id"] and me["name"] == "Ada" and me["role"] == "experimenter"


def test_every_user_gets_a_distinct_key(admin):
    keys = {create_user(admin, role)["api_key"] for role in ROLES}
    assert len(keys) == len(ROLES)
    assert ADMIN_KEY not in keys


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_only_admins_create_users(admin, make_user, role):
    caller = make_user(role)
    before = user_count(admin)
    assert_error(caller.post("/api/v1/users", {"name": "sneaky", "role": "admin"}), 403, "FORBIDDEN")
    assert_error(caller.post("/api/v1/users", {"name": "sneaky", "role": "viewer"}), 403, "FORBIDDEN")
    assert user_count(admin) == before


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer not-a-key",
        f"Basic {ADMIN_KEY}",
        ADMIN_KEY,
        f"Bearer {ADMIN_KEY}x",
    ],
    ids=["absent", "empty", "scheme-only", "blank-token", "unknown", "basic", "no-scheme", "extended"],
)
def test_create_user_without_a_valid_key_is_401(admin, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    before = user_count(admin)
    response = admin.client.post("/api/v1/users", json={"name": "x", "role": "admin"}, headers=headers)
    assert_error(response, 401, "UNAUTHORIZED")
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")
    assert user_count(admin) == before


def test_a_revoked_key_is_401_everywhere(admin):
    second_admin = create_user(admin, "admin", "second admin")
    caller = as_caller(admin, second_admin["api_key"], second_admin["id"])
    assert caller.get("/api/v1/users").status_code == 200
    assert admin.delete(users_path(second_admin["id"], f"/keys/{second_admin['key_id']}")).status_code == 204
    assert_error(caller.post("/api/v1/users", {"name": "x", "role": "viewer"}), 401, "UNAUTHORIZED")
    assert_error(caller.get("/api/v1/users"), 401, "UNAUTHORIZED")
    assert_error(caller.get("/api/v1/flags"), 401, "UNAUTHORIZED")


def test_the_key_is_never_shown_again(admin):
    created = create_user(admin, "approver", "Grace")
    secret = created["api_key"]
    shown = admin.get(users_path(created["id"]))
    assert shown.status_code == 200
    listed = admin.get("/api/v1/users", params={"limit": 500})
    self_view = as_caller(admin, secret).get(users_path(created["id"]))
    for response in (shown, listed, self_view):
        assert response.status_code == 200
        assert secret not in response.text
        assert "api_key" not in response.text and "key_hash" not in response.text
    user = shown.json()
    assert {"id", "name", "role", "keys"} <= set(user)
    assert [k["id"] for k in user["keys"]] == [created["key_id"]]
    assert set(user["keys"][0]) == {"id", "created_at", "revoked_at"}
    assert user["keys"][0]["revoked_at"] is None


@pytest.mark.parametrize(
    "role", ["root", "Admin", "ADMIN", " admin", "", None, 1, ["admin"], "superuser", "owner"]
)
def test_role_must_be_one_of_the_five(admin, role):
    before = user_count(admin)
    assert_error(admin.post("/api/v1/users", {"name": "x", "role": role}), 400, "VALIDATION_ERROR")
    assert user_count(admin) == before


def test_an_invalid_role_error_names_the_role_field(admin):
    for body in ({"name": "x", "role": "root"}, {"name": "x", "role": None}):
        error = assert_error(admin.post("/api/v1/users", body), 400, "VALIDATION_ERROR", "role")
        assert "role" in error["message"]
    created = create_user(admin, "viewer")
    assert_error(admin.patch(users_path(created["id"]), {"role": "god"}), 400, "VALIDATION_ERROR", "role")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_can_be_created(admin, role):
    assert create_user(admin, role)["role"] == role


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "role": "viewer"},
        {"name": "   ", "role": "viewer"},
        {"name": "n" * 201, "role": "viewer"},
    ],
    ids=["empty", "blank", "too-long"],
)
def test_a_user_needs_a_name(admin, body):
    assert_error(admin.post("/api/v1/users", body), 400, field="name")


def test_a_user_body_with_a_missing_or_unknown_field_is_400(admin):
    assert_error(admin.post("/api/v1/users", {"role": "viewer"}), 400)
    assert_error(admin.post("/api/v1/users", {"name": "x"}), 400)
    assert_error(admin.post("/api/v1/users", {"name": "x", "role": "viewer", "api_key": "mine"}), 400)


# -- changing users ------------------------------------------------------------------------------
def test_patch_renames_and_changes_role_and_the_key_follows_the_new_role(admin):
    created = create_user(admin, "experimenter", "Alan")
    alan = as_caller(admin, created["api_key"], created["id"])
    response = admin.patch(users_path(created["id"]), {"name": "Alan T."})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Alan T." and response.json()["role"] == "experimenter"
    response = admin.patch(users_path(created["id"]), {"role": "viewer"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Alan T." and response.json()["role"] == "viewer"
    assert admin.get(users_path(created["id"])).json()["role"] == "viewer"
    assert_error(alan.post("/api/v1/flags", {"key": "nope", "type": "string", "default": "x"}), 403)
    assert admin.patch(users_path(created["id"]), {"role": "experimenter"}).status_code == 200
    assert alan.post("/api/v1/flags", {"key": "yes", "type": "string", "default": "x"}).status_code == 201


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_only_admins_patch_users(admin, make_user, role):
    caller = make_user(role)
    other = create_user(admin, "viewer", "bystander")
    assert_error(caller.patch(users_path(other["id"]), {"name": "renamed"}), 403, "FORBIDDEN")
    assert_error(caller.patch(users_path(caller.user_id), {"role": "admin"}), 403, "FORBIDDEN")
    assert_error(caller.patch(users_path(caller.user_id), {"name": "me"}), 403, "FORBIDDEN")
    assert admin.get(users_path(other["id"])).json()["name"] == "bystander"
    assert admin.get(users_path(caller.user_id)).json()["role"] == role


def test_the_last_admin_cannot_be_demoted(lone_admin):
    for role in NON_ADMIN_ROLES:
        assert_error(lone_admin.patch(users_path(lone_admin.user_id), {"role": role}), 409, "LAST_ADMIN")
        assert_error(lone_admin.patch(users_path(lone_admin.user_id), {"name": "x", "role": role}), 409)
    me = lone_admin.get(users_path(lone_admin.user_id)).json()
    assert me["role"] == "admin" and me["name"] == "admin"
    assert lone_admin.post("/api/v1/users", {"name": "still", "role": "viewer"}).status_code == 201


def test_an_admin_can_be_demoted_while_another_remains(lone_admin):
    other = create_user(lone_admin, "admin", "other admin")
    other_admin = as_caller(lone_admin, other["api_key"], other["id"])
    assert lone_admin.patch(users_path(lone_admin.user_id), {"role": "viewer"}).status_code == 200
    assert_error(lone_admin.post("/api/v1/users", {"name": "x", "role": "viewer"}), 403)
    assert_error(other_admin.patch(users_path(other["id"]), {"role": "experimenter"}), 409, "LAST_ADMIN")
    assert other_admin.patch(users_path(lone_admin.user_id), {"role": "admin"}).status_code == 200


def test_renaming_the_last_admin_is_fine(lone_admin):
    response = lone_admin.patch(users_path(lone_admin.user_id), {"name": "root", "role": "admin"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "root"


@pytest.mark.parametrize(
    "body",
    [{"role": "root"}, {"role": None}, {"name": ""}, {"api_key": "x"}, {"id": "usr_x"}, {"keys": []}],
    ids=["bad-role", "null-role", "empty-name", "api_key", "id", "keys"],
)
def test_patch_rejects_bad_fields(admin, body):
    created = create_user(admin, "viewer", "Vera")
    assert_error(admin.patch(users_path(created["id"]), body), 400, "VALIDATION_ERROR")
    assert admin.get(users_path(created["id"])).json()["name"] == "Vera"


def test_unknown_users_are_404(admin):
    assert_error(admin.get(users_path("usr_nope")), 404, "NOT_FOUND")
    assert_error(admin.patch(users_path("usr_nope"), {"name": "x"}), 404, "NOT_FOUND")
    assert_error(admin.post(users_path("usr_nope", "/keys")), 404, "NOT_FOUND")
    assert_error(admin.delete(users_path("usr_nope", "/keys/key_nope")), 404, "NOT_FOUND")
    assert_error(admin.get(users_path("usr_nope", "/approvers")), 404, "NOT_FOUND")
    body = {"approvers": [admin.user_id], "min_approvals": 1}
    assert_error(admin.put(users_path("usr_nope", "/approvers"), body), 404, "NOT_FOUND")


# -- keys ----------------------------------------------------------------------------------------
def test_an_admin_issues_a_new_key_and_both_keys_work(admin):
    created = create_user(admin, "experimenter")
    response = admin.post(users_path(created["id"], "/keys"))
    assert response.status_code == 201, response.text
    key = response.json()
    assert {"id", "user_id", "api_key"} <= set(key)
    assert key["user_id"] == created["id"] and key["api_key"] != created["api_key"]
    for secret in (created["api_key"], key["api_key"]):
        assert as_caller(admin, secret).get("/api/v1/flags").status_code == 200
    listed = admin.get(users_path(created["id"])).json()["keys"]
    assert {k["id"] for k in listed} == {created["key_id"], key["id"]}
    assert key["api_key"] not in admin.get(users_path(created["id"])).text


@pytest.mark.parametrize("role", NON_ADMIN_ROLES[:-1])
def test_a_user_may_issue_their_own_key(make_user, role):
    caller = make_user(role)
    response = caller.post(users_path(caller.user_id, "/keys"))
    assert response.status_code == 201, response.text
    assert Caller(caller.client, response.json()["api_key"]).get("/api/v1/flags").status_code == 200


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_nobody_else_issues_or_revokes_a_users_keys(admin, make_user, role):
    caller = make_user(role)
    victim = create_user(admin, "experimenter", "victim")
    assert_error(caller.post(users_path(victim["id"], "/keys")), 403, "FORBIDDEN")
    assert_error(caller.delete(users_path(victim["id"], f"/keys/{victim['key_id']}")), 403, "FORBIDDEN")
    assert_error(caller.post(users_path(admin.user_id, "/keys")), 403, "FORBIDDEN")
    assert [k["id"] for k in admin.get(users_path(victim["id"])).json()["keys"]] == [victim["key_id"]]
    assert as_caller(admin, victim["api_key"]).get("/api/v1/flags").status_code == 200


def test_revoking_a_key_is_401_from_then_on_and_other_keys_still_work(admin):
    created = create_user(admin, "experimenter")
    first = as_caller(admin, created["api_key"], created["id"])
    second_key = admin.post(users_path(created["id"], "/keys")).json()
    second = as_caller(admin, second_key["api_key"], created["id"])
    response = admin.delete(users_path(created["id"], f"/keys/{created['key_id']}"))
    assert response.status_code == 204, response.text
    for _ in range(2):
        assert_error(first.get("/api/v1/flags"), 401, "UNAUTHORIZED")
        assert_error(first.post("/api/v1/flags", {"key": "x_y", "type": "string", "default": "a"}), 401)
    assert second.get("/api/v1/flags").status_code == 200
    assert second.post("/api/v1/flags", {"key": "x_y", "type": "string", "default": "a"}).status_code == 201
    keys = {k["id"]: k for k in admin.get(users_path(created["id"])).json()["keys"]}
    assert keys[created["key_id"]]["revoked_at"] is not None
    assert keys[second_key["id"]]["revoked_at"] is None
    # revoking again changes nothing and does not bring the key back
    assert admin.delete(users_path(created["id"], f"/keys/{created['key_id']}")).status_code == 204
    assert_error(first.get("/api/v1/flags"), 401)


def test_a_user_may_revoke_their_own_key(make_user, admin):
    caller = make_user("viewer")
    spare = caller.post(users_path(caller.user_id, "/keys")).json()
    key_id = admin.get(users_path(caller.user_id)).json()["keys"][-1]["id"]
    assert caller.delete(users_path(caller.user_id, f"/keys/{key_id}")).status_code == 204
    assert_error(caller.get("/api/v1/flags"), 401)
    assert as_caller(admin, spare["api_key"]).get("/api/v1/flags").status_code == 200


def test_unknown_or_foreign_keys_are_404(admin):
    one = create_user(admin, "viewer", "one")
    two = create_user(admin, "viewer", "two")
    assert_error(admin.delete(users_path(one["id"], "/keys/key_nope")), 404, "NOT_FOUND")
    # a real key id under the wrong user is not that user's key
    assert_error(admin.delete(users_path(one["id"], f"/keys/{two['key_id']}")), 404, "NOT_FOUND")
    assert as_caller(admin, two["api_key"]).get("/api/v1/flags").status_code == 200


# -- approver groups -----------------------------------------------------------------------------
def test_approver_group_round_trips(admin, make_user):
    author = make_user("experimenter")
    first, second = make_user("approver"), make_user("approver")
    body = {"approvers": [first.user_id, second.user_id, admin.user_id], "min_approvals": 2}
    response = admin.put(users_path(author.user_id, "/approvers"), body)
    assert response.status_code == 200, response.text
    group = response.json()
    assert group["user_id"] == author.user_id
    assert group["approvers"] == body["approvers"] and group["min_approvals"] == 2
    shown = admin.get(users_path(author.user_id, "/approvers"))
    assert shown.status_code == 200
    assert shown.json()["approvers"] == body["approvers"] and shown.json()["min_approvals"] == 2
    replaced = admin.put(
        users_path(author.user_id, "/approvers"), {"approvers": [first.user_id], "min_approvals": 1}
    )
    assert replaced.status_code == 200
    assert admin.get(users_path(author.user_id, "/approvers")).json()["approvers"] == [first.user_id]


def test_a_user_without_a_group_has_none_to_show(admin, make_user):
    author = make_user("experimenter")
    assert_error(admin.get(users_path(author.user_id, "/approvers")), 404, "NOT_FOUND")


APPROVER_CASES = {
    "unknown-user": (lambda w: {"approvers": ["usr_nope"], "min_approvals": 1}, "approvers"),
    "viewer-member": (lambda w: {"approvers": [w["viewer"]], "min_approvals": 1}, "approvers"),
    "experimenter-member": (
        lambda w: {"approvers": [w["other_experimenter"]], "min_approvals": 1},
        "approvers",
    ),
    "sdk-member": (lambda w: {"approvers": [w["sdk"]], "min_approvals": 1}, "approvers"),
    "self": (lambda w: {"approvers": [w["author"]], "min_approvals": 1}, "approvers"),
    "self-among-others": (lambda w: {"approvers": [w["a1"], w["author"]], "min_approvals": 1}, "approvers"),
    "duplicates": (lambda w: {"approvers": [w["a1"], w["a1"]], "min_approvals": 1}, "approvers"),
    "empty": (lambda w: {"approvers": [], "min_approvals": 0}, "approvers"),
    "zero-approvals": (lambda w: {"approvers": [w["a1"], w["a2"]], "min_approvals": 0}, "min_approvals"),
    "negative-approvals": (lambda w: {"approvers": [w["a1"]], "min_approvals": -1}, "min_approvals"),
    "more-than-group": (lambda w: {"approvers": [w["a1"], w["a2"]], "min_approvals": 3}, "min_approvals"),
}


@pytest.fixture(scope="module")
def group_world(make_user) -> dict[str, str]:
    return {
        "author": make_user("experimenter").user_id,
        "other_experimenter": make_user("experimenter").user_id,
        "viewer": make_user("viewer").user_id,
        "sdk": make_user("sdk").user_id,
        "a1": make_user("approver").user_id,
        "a2": make_user("approver").user_id,
    }


@pytest.mark.parametrize("case", list(APPROVER_CASES))
def test_approver_group_validation_names_the_field(admin, group_world, case):
    make_body, field = APPROVER_CASES[case]
    path = users_path(group_world["author"], "/approvers")
    assert_error(admin.put(path, make_body(group_world)), 400, "VALIDATION_ERROR", field=field)
    assert_error(admin.get(path), 404)  # nothing was stored


def test_an_admin_cannot_be_in_their_own_group(admin, make_user, group_world):
    # admins may own experiments and may review, so only the self rule keeps them out of their own group
    author = make_user("admin", "admin author")
    body = {"approvers": [group_world["a1"], author.user_id], "min_approvals": 1}
    assert_error(
        admin.put(users_path(author.user_id, "/approvers"), body), 400, "VALIDATION_ERROR", "approvers"
    )
    body = {"approvers": [group_world["a1"], admin.user_id], "min_approvals": 2}
    assert admin.put(users_path(author.user_id, "/approvers"), body).status_code == 200


def test_a_failed_update_keeps_the_previous_group(admin, make_user, group_world):
    path = users_path(make_user("experimenter").user_id, "/approvers")
    good = {"approvers": [group_world["a1"], group_world["a2"]], "min_approvals": 2}
    assert admin.put(path, good).status_code == 200
    assert_error(admin.put(path, {"approvers": [group_world["viewer"]], "min_approvals": 1}), 400)
    assert admin.get(path).json()["approvers"] == good["approvers"]


@pytest.mark.parametrize(
    "body",
    [
        {"approvers": "usr_x", "min_approvals": 1},
        {"min_approvals": 1},
        {"approvers": []},
        {"approvers": [], "x": 1},
    ],
    ids=["not-a-list", "no-approvers", "no-min", "unknown-field"],
)
def test_approver_group_body_shape(admin, group_world, body):
    assert_error(admin.put(users_path(group_world["author"], "/approvers"), body), 400)


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_only_admins_set_approver_groups(make_user, group_world, role):
    caller = make_user(role)
    body = {"approvers": [group_world["a1"]], "min_approvals": 1}
    assert_error(caller.put(users_path(group_world["author"], "/approvers"), body), 403, "FORBIDDEN")
    assert_error(caller.put(users_path(caller.user_id, "/approvers"), body), 403, "FORBIDDEN")


# -- what each role may call ---------------------------------------------------------------------
# Every admin route with a well-formed request, so the only reason to refuse is the caller's role.
# Placeholders in paths and bodies are filled from the module's world (ids made at setup).
Body = Callable[[dict[str, str]], Any] | None
ADMIN_ROUTES: list[tuple[str, str, Body]] = [
    ("GET", "/api/v1/users", None),
    ("POST", "/api/v1/users", lambda w: {"name": "new", "role": "viewer"}),
    ("GET", "/api/v1/users/{experimenter}", None),
    ("PATCH", "/api/v1/users/{experimenter}", lambda w: {"name": "renamed"}),
    ("POST", "/api/v1/users/{experimenter}/keys", None),
    ("DELETE", "/api/v1/users/{experimenter}/keys/{experimenter_key}", None),
    ("GET", "/api/v1/users/{experimenter}/approvers", None),
    (
        "PUT",
        "/api/v1/users/{experimenter}/approvers",
        lambda w: {"approvers": [w["approver"]], "min_approvals": 1},
    ),
    ("GET", "/api/v1/flags", None),
    ("POST", "/api/v1/flags", lambda w: {"key": "another", "type": "string", "default": "x"}),
    ("GET", "/api/v1/flags/{flag}", None),
    ("PATCH", "/api/v1/flags/{flag}", lambda w: {"default": "blue"}),
    ("GET", "/api/v1/event-types", None),
    ("POST", "/api/v1/event-types", lambda w: {"key": "another"}),
    ("GET", "/api/v1/event-types/{event_type}", None),
    ("PATCH", "/api/v1/event-types/{event_type}", lambda w: {"description": "changed"}),
    ("POST", "/api/v1/event-types/{event_type}/archive", None),
    ("GET", "/api/v1/metrics", None),
    ("POST", "/api/v1/metrics", lambda w: {"key": "another", "kind": "count", "event_type": "purchase"}),
    ("GET", "/api/v1/metrics/{metric}", None),
    ("PATCH", "/api/v1/metrics/{metric}", lambda w: {"name": "Revenue!"}),
    ("POST", "/api/v1/metrics/{metric}/archive", None),
    ("GET", "/api/v1/experiments", None),
    ("POST", "/api/v1/experiments", lambda w: {**EXPERIMENT, "key": "another"}),
    ("GET", "/api/v1/experiments/{exp}", None),
    ("PATCH", "/api/v1/experiments/{exp}", lambda w: {"name": "renamed"}),
    ("GET", "/api/v1/experiments/{exp}/versions", None),
    ("GET", "/api/v1/experiments/{exp}/reviews", None),
    ("GET", "/api/v1/experiments/{exp}/log", None),
    *[
        ("POST", f"/api/v1/experiments/{{exp}}/{action}", None)
        for action in ACTIONS
        if action != "complete"  # it needs a body: below
    ],
    ("POST", "/api/v1/experiments/{exp}/complete", lambda w: {"outcome": "no_effect", "comment": "done"}),
    ("GET", "/api/v1/experiments/{exp}/guardrails", None),
    ("POST", "/api/v1/experiments/{exp}/guardrails", lambda w: {**GUARDRAIL, "threshold": 5}),
    ("GET", "/api/v1/experiments/{exp}/guardrails/{guardrail}", None),
    ("PATCH", "/api/v1/experiments/{exp}/guardrails/{guardrail}", lambda w: {"threshold": 7}),
    ("DELETE", "/api/v1/experiments/{exp}/guardrails/{guardrail}", None),
    ("GET", "/api/v1/experiments/{exp}/guardrail-triggers", None),
    ("GET", "/api/v1/experiments/{exp}/report", None),
    ("POST", "/api/v1/guardrails/check", lambda w: {}),  # {}: every running experiment
    ("GET", "/api/v1/audit", None),
    ("GET", "/api/v1/notifications/channels", None),
    ("POST", "/api/v1/notifications/channels", lambda w: {**CHANNEL, "key": "another"}),
    ("GET", "/api/v1/notifications/channels/{channel}", None),
    ("PATCH", "/api/v1/notifications/channels/{channel}", lambda w: {"config": {"url": "http://h/new"}}),
    ("DELETE", "/api/v1/notifications/channels/{channel}", None),
    ("POST", "/api/v1/notifications/channels/{channel}/test", None),
    ("GET", "/api/v1/notifications/rules", None),
    ("POST", "/api/v1/notifications/rules", lambda w: {"event": "srm_detected", "channel": "team"}),
    ("GET", "/api/v1/notifications/rules/{rule}", None),
    ("PATCH", "/api/v1/notifications/rules/{rule}", lambda w: {"dedup_minutes": 5}),
    ("DELETE", "/api/v1/notifications/rules/{rule}", None),
    ("GET", "/api/v1/notifications/deliveries", None),
]
CHANNEL = {"key": "team", "type": "webhook", "config": {"url": "http://h/hook"}}
EXPERIMENT = {
    "key": "exp",
    "flag": "color",
    "traffic": 100,
    "variants": [
        {"name": "control", "value": "green", "weight": 50, "control": True},
        {"name": "red", "value": "red", "weight": 50},
    ],
    "primary_metric": "revenue",
}
GUARDRAIL = {"metric": "revenue", "operator": ">", "threshold": 1, "window_minutes": 60, "action": "pause"}
# Runtime endpoints (SPEC §3, §3.2, §4) take any valid key; everything else is the admin API.
RUNTIME_PATHS = ("/api/v1/decide", "/api/v1/events", "/ofrep/")
NOT_ADMIN_API = ("/health", "/ready", "/metrics", "/schema", *RUNTIME_PATHS)


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _route_id(route: tuple[str, str, Body]) -> str:
    return f"{route[0]} {route[1]}"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """One catalog with something of every kind; the matrix only reads it or is refused."""
    with serve(tmp_path_factory, "roles") as server:
        admin, client = server.admin, server.client
        ids: dict[str, Any] = {
            "lotty": server.lotty,
            "client": client,
            "flag": "color",
            "event_type": "purchase",
            "metric": "revenue",
            "exp": "exp",
        }
        for role in ("experimenter", "approver", "viewer", "sdk"):
            created = create_user(admin, role, role)
            ids[role], ids[f"{role}_key"], ids[f"{role}_secret"] = (
                created["id"],
                created["key_id"],
                created["api_key"],
            )
        experimenter = Caller(client, ids["experimenter_secret"], ids["experimenter"])
        for path, body in [
            ("/api/v1/flags", {"key": "color", "type": "string", "default": "green"}),
            ("/api/v1/event-types", {"key": "purchase", "properties": {"amount": {"type": "number"}}}),
            (
                "/api/v1/metrics",
                {"key": "revenue", "kind": "sum", "event_type": "purchase", "property": "amount"},
            ),
            ("/api/v1/experiments", EXPERIMENT),
        ]:
            response = experimenter.post(path, body)
            assert response.status_code == 201, response.text
        response = experimenter.post("/api/v1/experiments/exp/guardrails", GUARDRAIL)
        assert response.status_code == 201, response.text
        ids["guardrail"] = response.json()["id"]
        body = {"approvers": [ids["approver"]], "min_approvals": 1}
        assert admin.put(f"/api/v1/users/{ids['experimenter']}/approvers", body).status_code == 200
        assert admin.post("/api/v1/notifications/channels", CHANNEL).status_code == 201
        ids["channel"] = CHANNEL["key"]
        rule = {"event": "guardrail_triggered", "channel": "team"}
        ids["rule"] = admin.post("/api/v1/notifications/rules", rule).json()["id"]
        yield ids


def _call(world: dict[str, Any], role: str, route: tuple[str, str, Body]) -> Any:
    method, path, body = route
    headers = {"Authorization": f"Bearer {world[f'{role}_secret']}"}
    json = body(world) if body else None
    return world["client"].request(method, path.format(**world), headers=headers, json=json)


def test_the_role_matrix_covers_every_admin_route(world):
    app_routes = {
        (method, _template(route.path))
        for route in world["client"].app.routes
        if not route.path.startswith(NOT_ADMIN_API)
        for method in getattr(route, "methods", ())
        if method not in ("HEAD", "OPTIONS")
    }
    assert {(m, _template(p)) for m, p, _ in ADMIN_ROUTES} == app_routes


@pytest.mark.parametrize("route", [r for r in ADMIN_ROUTES if r[0] == "GET"], ids=_route_id)
def test_viewers_read_everything(world, route):
    response = _call(world, "viewer", route)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("route", [r for r in ADMIN_ROUTES if r[0] != "GET"], ids=_route_id)
def test_viewers_change_nothing(world, route):
    before = world["lotty"].store.catalog_version
    assert_error(_call(world, "viewer", route), 403, "FORBIDDEN")
    assert world["lotty"].store.catalog_version == before


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=_route_id)
def test_sdk_keys_call_nothing_of_the_admin_api(world, route):
    before = world["lotty"].store.catalog_version
    assert_error(_call(world, "sdk", route), 403, "FORBIDDEN")
    assert world["lotty"].store.catalog_version == before


def test_sdk_keys_cannot_read_or_manage_even_their_own_user(world):
    headers = {"Authorization": f"Bearer {world['sdk_secret']}"}
    client, me = world["client"], world["sdk"]
    before = world["lotty"].store.catalog_version
    assert_error(client.get(f"/api/v1/users/{me}", headers=headers), 403, "FORBIDDEN")
    assert_error(client.get(f"/api/v1/users/{me}/approvers", headers=headers), 403, "FORBIDDEN")
    assert_error(client.post(f"/api/v1/users/{me}/keys", headers=headers), 403, "FORBIDDEN")
    assert_error(
        client.patch(f"/api/v1/users/{me}", headers=headers, json={"role": "admin"}), 403, "FORBIDDEN"
    )
    assert_error(
        client.delete(f"/api/v1/users/{me}/keys/{world['sdk_key']}", headers=headers), 403, "FORBIDDEN"
    )
    assert world["lotty"].store.catalog_version == before
    assert client.get("/api/v1/flags", headers=headers).status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_any_valid_key_may_call_the_runtime(world, role):
    secret = ADMIN_KEY if role == "admin" else world[f"{role}_secret"]
    response = world["client"].post(
        "/api/v1/decide",
        json={"subject_id": "u-1", "flags": ["color"]},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["decisions"][0]["flag"] == "color"
