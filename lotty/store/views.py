"""The SPEC's reading views (`sql/views/<name>.sql`, one SELECT each), created by every migrate.

Views are derived, not data: `Store.migrate()` replaces them all after the migrations, so a changed
view file takes effect at the next start without a migration. Each file holds only the SELECT
(it can then be prepared and reused over other sources, e.g. the lake); the view is named after
the file. `VIEWS` is the creation order: a view comes after the views it reads.
"""

from __future__ import annotations

from typing import Any

from lotty.store.sqlfiles import sql_text

VIEWS = (
    "decisions",
    "enrolments",
    "stored_events",
    "events",
    "exposures",
    "attributed_events",
    "pending_events",
)


def create_views(connection: Any) -> None:
    """(Re)create every view on a DuckDB connection, in `VIEWS` order (the caller holds the lock)."""
    for name in VIEWS:
        # `name` comes from the constant tuple above, never from input: formatting it is safe.
        connection.execute(f"CREATE OR REPLACE VIEW {name} AS\n{sql_text(f'views/{name}')}")
