"""Every SQL file prepares against the migrated schema and carries its header."""

from __future__ import annotations

import pytest

from lotty.store import Store, sql_text
from lotty.store.database import default_memory_limit
from lotty.store.sqlfiles import all_statement_names, migration_files
from lotty.store.writer import FACT_SCHEMAS

# reader/ statements build lotty.connect()'s in-memory database; tests/unit/test_connect.py runs them.
NAMES = [name for name in all_statement_names() if not name.startswith("reader/")]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    instance = Store(tmp_path_factory.mktemp("sql") / "lotty.duckdb")
    instance.migrate()
    yield instance
    instance.close()


def test_there_are_statements():
    assert len(NAMES) > 40


@pytest.mark.parametrize("name", NAMES)
def test_statement_prepares(store, name):
    text = sql_text(name)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip()
    cursor = store.cursor()
    if body.upper().startswith("CREATE TABLE IF NOT EXISTS"):
        cursor.execute(text)  # DDL cannot be prepared; it is idempotent, so run it
        return
    if body.upper().startswith("SET VARIABLE"):  # cannot be prepared either; setting it is harmless
        table = name.removeprefix("lake/set_").removesuffix("_files")
        cursor.execute(text, {"files": store.lake_files(table)})
        return
    if body.upper().startswith("SET "):  # a setting cannot be prepared: set it to what Store sets
        cursor.execute(text, {"limit": default_memory_limit()})
        return
    for table, schema in FACT_SCHEMAS.items():  # batch appends read a registered Arrow table
        cursor.register(f"{table}_batch", schema.empty_table())
    cursor.execute(f"PREPARE check_statement AS {text}")
    cursor.execute("DEALLOCATE check_statement")


@pytest.mark.parametrize("name", NAMES)
def test_statement_has_header_and_is_one_statement(name):
    text = sql_text(name)
    lines = text.splitlines()
    assert lines[0].startswith("-- "), f"{name} needs a purpose line"
    assert any(line.startswith("-- params:") for line in lines[:6]), f"{name} needs a params line"
    body = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
    assert body.strip().rstrip(";").count(";") == 0, f"{name} holds more than one statement"


def test_migrations_are_numbered_and_apply_twice_idempotently(tmp_path):
    assert next(n for n, _, _ in migration_files()) == 1
    store = Store(tmp_path / "x.duckdb")
    assert store.migrate() == [f"{n:03d}_{name}" for n, name, _ in migration_files()]
    assert store.migrate() == []
    store.close()


def _from_repeated(name: str, through: str, after: str = "") -> str:
    """A statement's text from its `repeated` CTE through the first `through` that follows `after`."""
    text = sql_text(name)
    start = text.index("WITH repeated AS MATERIALIZED (")
    return text[start : text.index(through, text.index(after, start)) + len(through)]


def _dedup_block(name: str) -> str:
    """A statement's `repeated`, `first_copy`, `event` and `first_exposure` CTEs (up to the last's
    GROUP BY)."""
    return _from_repeated(name, "GROUP BY decision_id", after="first_exposure AS (")


@pytest.mark.parametrize("name", ["views/pending_events", "reports/variant_statistics"])
def test_spelled_out_events_view_matches_attributed_events(name):
    # These statements spell out the events view so that one query shares its duplicate-id pass;
    # a fix to first-accepted-wins in one copy must reach every copy.
    assert _dedup_block(name) == _dedup_block("views/attributed_events")


def _ranking_block(name: str) -> str:
    """A statement's `repeated` and `first_copy` CTEs."""
    return _from_repeated(name, ") = 1\n)")


def test_the_events_view_ranks_repeated_ids_as_its_spelled_out_copies_do():
    assert _ranking_block("views/events") == _ranking_block("views/attributed_events")
