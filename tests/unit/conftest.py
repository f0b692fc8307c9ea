"""Fixtures of the unit tests that need a database: a migrated `Store` in the test's tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lotty.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    instance = Store(tmp_path / "lotty.duckdb")
    instance.migrate()
    yield instance
    instance.close()
