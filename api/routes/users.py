"""/api/v1/users: users, their keys and approver groups (SPEC §2.0)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody

from api.deps import Actor, Cursor, Limit, LottyDep
from lotty.catalog import users
from lotty.model import (
    ApproverGroup,
    ApproverGroupSpec,
    CreatedKey,
    CreatedUser,
    Page,
    User,
    UserPatch,
    UserSpec,
)


class UsersController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @post(
        "/",
        status_code=201,
        summary="Create a user (admin); the answer holds its only copy of the key",
        sync_to_thread=True,
    )
    def create(self, lotty: LottyDep, actor: Actor, data: JSONBody[UserSpec]) -> CreatedUser:
        return users.create_user(lotty.store, actor, data, lotty.clock())

    @get("/", summary="List users, newest first", sync_to_thread=True)
    def list(
        self,
        lotty: LottyDep,
        actor: Actor,
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
    ) -> Page[User]:
        return users.list_users(lotty.store, actor, limit, cursor)

    @get("/{user_id:str}", summary="One user with its keys (metadata only)", sync_to_thread=True)
    def show(self, lotty: LottyDep, actor: Actor, user_id: FromPath[str]) -> User:
        return users.get_user(lotty.store, actor, user_id)

    @patch("/{user_id:str}", summary="Rename a user or change its role (admin)", sync_to_thread=True)
    def update(
        self, lotty: LottyDep, actor: Actor, user_id: FromPath[str], data: JSONBody[UserPatch]
    ) -> User:
        return users.update_user(lotty.store, actor, user_id, data, lotty.clock())

    @post(
        "/{user_id:str}/keys",
        status_code=201,
        summary="A new API key for a user (admin or the user)",
        sync_to_thread=True,
    )
    def create_key(self, lotty: LottyDep, actor: Actor, user_id: FromPath[str]) -> CreatedKey:
        return users.create_key(lotty.store, actor, user_id, lotty.clock())

    @delete("/{user_id:str}/keys/{key_id:str}", status_code=204, summary="Revoke a key", sync_to_thread=True)
    def revoke_key(
        self, lotty: LottyDep, actor: Actor, user_id: FromPath[str], key_id: FromPath[str]
    ) -> None:
        users.revoke_key(lotty.store, actor, user_id, key_id, lotty.clock())

    @put(
        "/{user_id:str}/approvers",
        summary="Set who reviews this user's experiments (admin)",
        sync_to_thread=True,
    )
    def set_approvers(
        self, lotty: LottyDep, actor: Actor, user_id: FromPath[str], data: JSONBody[ApproverGroupSpec]
    ) -> ApproverGroup:
        return users.set_approver_group(lotty.store, actor, user_id, data, lotty.clock())

    @get("/{user_id:str}/approvers", summary="The approver group of a user", sync_to_thread=True)
    def get_approvers(self, lotty: LottyDep, actor: Actor, user_id: FromPath[str]) -> ApproverGroup:
        return users.get_approver_group(lotty.store, actor, user_id)
