"""Who is calling and what their role allows. Keys are looked up by their SHA-256 in memory."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from lotty.errors import ForbiddenError, UnauthorizedError

EDITOR_ROLES = frozenset({"admin", "experimenter"})
REVIEWER_ROLES = frozenset({"admin", "approver"})
READER_ROLES = frozenset({"admin", "experimenter", "approver", "viewer"})


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    role: str
    key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Principal(user_id="system", role="admin")


def new_api_key() -> str:
    return "lotty_" + secrets.token_urlsafe(32)


def hash_key(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()


def require_role(principal: Principal, roles: Iterable[str], action: str) -> None:
    allowed = frozenset(roles)
    if principal.role not in allowed:
        raise ForbiddenError(
            f"role {principal.role!r} may not {action}",
            details={"role": principal.role, "allowed_roles": sorted(allowed)},
        )


def require_reader(principal: Principal) -> None:
    require_role(principal, READER_ROLES, "read the catalog")


def require_editor(principal: Principal, action: str) -> None:
    require_role(principal, EDITOR_ROLES, action)


def require_admin(principal: Principal, action: str) -> None:
    require_role(principal, {"admin"}, action)


class Keyring:
    """Active keys by hash, rebuilt from the catalog after each change (one process owns the data dir)."""

    def __init__(self) -> None:
        self._by_hash: dict[bytes, tuple[bytes, Principal]] = {}
        self._lock = threading.Lock()

    def replace(self, rows: Iterable[tuple[bytes, str, str, str]]) -> None:
        """rows: (key_hash, key_id, user_id, role) of every unrevoked key."""
        table = {
            bytes(key_hash): (bytes(key_hash), Principal(user_id, role, key_id))
            for key_hash, key_id, user_id, role in rows
        }
        with self._lock:
            self._by_hash = table

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal behind an `Authorization: Bearer <key>` header value."""
        if not authorization:
            raise UnauthorizedError("missing Authorization: Bearer <api key> header")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("Authorization header must be 'Bearer <api key>'")
        digest = hash_key(token.strip())
        # Keys are found by their SHA-256, so lookup timing says nothing about the secret itself;
        # the stored digest is still compared in constant time before it is trusted.
        found = self._by_hash.get(digest)
        if found is None or not hmac.compare_digest(found[0], digest):
            raise UnauthorizedError("invalid or revoked API key")
        return found[1]
