"""What the API tests share: the SPEC §1 error check, a server per module, the experiment lifecycle walk."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Self

import pytest
from litestar.testing import TestClient

from api.app import create_app
from lotty.catalog.users import bootstrap_admin
from lotty.instance import Lotty
from lotty.settings import Settings
from tests.conftest import ADMIN_KEY, Caller, FakeClock

API = "/api/v1"
EXP = f"{API}/experiments"
SECRET = "test-secret-0123456789abcdef"

_serial = itertools.count(1)


def fresh(prefix: str) -> str:
    """A name no other call in this test run got (keys, user names)."""
    return f"{prefix}{next(_serial)}"


# -- errors ---------------------------------------------------------------------------------------
def assert_error(
    response: Any,
    status: int,
    code: str | None = None,
    field: str | None = None,
    *,
    field_in_message: bool = False,
) -> dict:
    """The SPEC §1 error shape with this status (and code / offending field when given).

    `field` must be details.field; with `field_in_message=True`, naming it in the message also does.
    """
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert re.fullmatch(r"[A-Z][A-Z0-9_]*", error["code"]), error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], dict), error
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        named = error["details"].get("field") == field
        assert named or (field_in_message and field in error["message"]), error
    return error


def read(caller: Caller, path: str) -> Any:
    """GET `path`, which must answer 200; its body."""
    response = caller.get(path)
    assert response.status_code == 200, response.text
    return response.json()


# -- a server of a module's own -------------------------------------------------------------------
@dataclass
class Server:
    lotty: Lotty
    clock: FakeClock
    client: TestClient[Any]
    admin: Caller


def admin_caller(client: TestClient[Any]) -> Caller:
    """The bootstrapped admin on `client`, with its user id."""
    caller = Caller(client, ADMIN_KEY)
    caller.user_id = read(caller, f"{API}/users")["items"][-1]["id"]
    return caller


@contextmanager
def serve(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Server]:
    """A Lotty on a temp dir of its own, its TestClient and its admin, for a module-scoped fixture.

    conftest's `lotty` / `client` / `admin` make a server per test; a module whose tests each work on
    things of their own (fresh keys, fresh users) shares one of these instead, which is much faster.
    """
    clock = FakeClock()
    settings = Settings(data_dir=tmp_path_factory.mktemp(name) / "data", secret=SECRET)
    lotty = Lotty(settings, clock=clock)
    try:
        bootstrap_admin(lotty.store, ADMIN_KEY, clock())
        with TestClient(create_app(lotty=lotty)) as client:
            yield Server(lotty, clock, client, admin_caller(client))
    finally:
        lotty.close()


# -- users ----------------------------------------------------------------------------------------
def create_user(admin: Caller, role: str, name: str = "someone") -> dict:
    """POST /users (201); the created user with its first key."""
    response = admin.post(f"{API}/users", {"name": name, "role": role})
    assert response.status_code == 201, response.text
    return response.json()


def new_user(admin: Caller, role: str, name: str) -> Caller:
    """A Caller holding a fresh user's key."""
    created = create_user(admin, role, name)
    return Caller(admin.client, created["api_key"], created["id"])


def user_maker(admin: Caller) -> Callable[..., Caller]:
    """make(role, name=None) → a Caller holding a fresh user's key (conftest's `make_user`, on `admin`)."""

    def make(role: str, name: str | None = None) -> Caller:
        return new_user(admin, role, name or f"{role} user")

    return make


# -- the experiment lifecycle ---------------------------------------------------------------------
STATUSES = ("draft", "in_review", "approved", "rejected", "running", "paused", "completed", "archived")
ACTIONS = (
    "submit",
    "approve",
    "request-changes",
    "reject",
    "rework",
    "start",
    "pause",
    "resume",
    "complete",
    "archive",
)
# The actions that bring a fresh draft to each status; review actions are the approver's.
PATH_TO: dict[str, tuple[str, ...]] = {
    "draft": (),
    "in_review": ("submit",),
    "approved": ("submit", "approve"),
    "rejected": ("submit", "reject"),
    "running": ("submit", "approve", "start"),
    "paused": ("submit", "approve", "start", "pause"),
    "completed": ("submit", "approve", "start", "complete"),
    "archived": ("submit", "approve", "start", "complete", "archive"),
}
REVIEW_ACTIONS = ("approve", "request-changes", "reject")
COMPLETION = {"outcome": "no_effect", "comment": "no measurable difference"}
CREW_ROLES = ("experimenter", "approver", "experimenter", "viewer")  # owner, approver, other, viewer


@dataclass
class Crew:
    """An admin and the people who act on experiments: owner and other (experimenters), approver, viewer."""

    admin: Caller
    owner: Caller
    approver: Caller
    other: Caller
    viewer: Caller

    @classmethod
    def hire(cls, admin: Caller, names: Sequence[str] | None = None, **fields: Any) -> Self:
        """Fresh users for owner, approver, other and viewer (named `names`, in that order, when given)."""
        names = names or [fresh(f"{role} ") for role in CREW_ROLES]
        owner, approver, other, viewer = (
            new_user(admin, role, name) for role, name in zip(CREW_ROLES, names, strict=True)
        )
        return cls(admin=admin, owner=owner, approver=approver, other=other, viewer=viewer, **fields)

    def user(self, role: str) -> Caller:
        return new_user(self.admin, role, fresh(f"{role} "))

    def new_flag(self, type_: str = "string", default: Any = "green", by: Caller | None = None) -> str:
        """A flag of its own (made by `by`, else the admin): an experiment on it may run whatever runs."""
        key = fresh("flag_")
        response = (by or self.admin).post(f"{API}/flags", {"key": key, "type": type_, "default": default})
        assert response.status_code == 201, response.text
        return key

    def act(self, key: str, action: str, caller: Caller | None = None, body: Any = None) -> dict[str, Any]:
        """`action` on experiment `key` (by default: reviews by the approver, the rest by the owner); 200."""
        if caller is None:
            caller = self.approver if action in REVIEW_ACTIONS else self.owner
        if body is None and action == "complete":
            body = COMPLETION
        response = caller.post(f"{EXP}/{key}/{action}", body)
        assert response.status_code == 200, (action, response.text)
        return response.json()

    def drive(self, key: str, status: str, owner: Caller | None = None) -> dict[str, Any]:
        """Walk the fresh draft `key` to `status` along PATH_TO (owner actions by `owner`, else the owner)."""
        for action in PATH_TO[status]:
            self.act(key, action, None if action in REVIEW_ACTIONS else owner)
        got = self.get(key)
        assert got["status"] == status, got
        return got

    def get(self, key: str) -> dict[str, Any]:
        return read(self.viewer, f"{EXP}/{key}")

    def log(self, key: str) -> list[dict[str, Any]]:
        return read(self.viewer, f"{EXP}/{key}/log")["items"]
