"""The HTTP shell: Litestar app factory, routes, auth and error mapping over `lotty`."""

from api.app import create_app

__all__ = ["create_app"]
