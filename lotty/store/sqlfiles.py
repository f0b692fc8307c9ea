"""SQL lives in `sql/`, one statement per file, loaded by its path without the suffix."""

from __future__ import annotations

import functools
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


@functools.cache
def sql_text(name: str) -> str:
    """The text of `sql/<name>.sql` (e.g. `catalog/flags/insert`), cached for the process."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR not in path.parents:
        raise ValueError(f"SQL name escapes sql/: {name!r}")
    return path.read_text(encoding="utf-8")


def migration_files() -> list[tuple[int, str, Path]]:
    """(number, name, path) of every `sql/schema/NNN_name.sql`, in order."""
    found = []
    for path in sorted((SQL_DIR / "schema").glob("*.sql")):
        number, _, name = path.stem.partition("_")
        found.append((int(number), name, path))
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


def all_statement_names() -> list[str]:
    """Every statement file outside `schema/` (the test suite prepares each one)."""
    return sorted(
        str(path.relative_to(SQL_DIR).with_suffix(""))
        for path in SQL_DIR.rglob("*.sql")
        if path.relative_to(SQL_DIR).parts[0] != "schema"
    )
