"""`Lotty`: the one plain object that holds a data dir's settings, store, keyring and clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from lotty.auth import Keyring
from lotty.catalog.users import active_key_rows, bootstrap_admin
from lotty.settings import Settings
from lotty.store import Store

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Lotty:
    """Opens (and migrates) the data dir's database; everything else is passed this object."""

    def __init__(self, settings: Settings, *, clock: Clock = utc_now):
        self.settings = settings
        self.clock = clock
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.secret = settings.load_or_create_secret()
        self.store = Store(settings.database_path)
        self.store.migrate()
        self.keyring = Keyring()
        self.reload_keys()
        self.store.on_catalog_change(self.reload_keys)

    def reload_keys(self) -> None:
        self.keyring.replace(active_key_rows(self.store))

    def close(self) -> None:
        self.store.close()


def initialise(settings: Settings, api_key: str, *, clock: Clock = utc_now) -> tuple[bool, str | None]:
    """`lotty init`: migrate and create the first admin. (created?, admin user id)."""
    lotty = Lotty(settings, clock=clock)
    try:
        user_id = bootstrap_admin(lotty.store, api_key, lotty.clock())
        return user_id is not None, user_id
    finally:
        lotty.close()
