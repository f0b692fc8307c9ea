"""/api/v1/flags (SPEC §2.1)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody

from api.deps import Actor, Cursor, Limit, LottyDep
from lotty.catalog import flags
from lotty.model import Flag, FlagPatch, FlagSpec, Page


class FlagsController(Controller):
    path = "/api/v1/flags"
    tags = ["flags"]

    @post("/", status_code=201, summary="Create a flag", sync_to_thread=True)
    def create(self, lotty: LottyDep, actor: Actor, data: JSONBody[FlagSpec]) -> Flag:
        return flags.create_flag(lotty.store, actor, data, lotty.clock())

    @get("/", summary="List flags, newest first", sync_to_thread=True)
    def list(
        self,
        lotty: LottyDep,
        actor: Actor,
        limit: Annotated[int | None, Limit] = None,
        cursor: Annotated[str | None, Cursor] = None,
    ) -> Page[Flag]:
        return flags.list_flags(lotty.store, actor, limit, cursor)

    @get("/{key:str}", summary="One flag", sync_to_thread=True)
    def show(self, lotty: LottyDep, actor: Actor, key: FromPath[str]) -> Flag:
        return flags.get_flag(lotty.store, actor, key)

    @patch("/{key:str}", summary="Change a flag's default or description", sync_to_thread=True)
    def update(self, lotty: LottyDep, actor: Actor, key: FromPath[str], data: JSONBody[FlagPatch]) -> Flag:
        return flags.update_flag(lotty.store, actor, key, data, lotty.clock())
