"""The only door to DuckDB: one connection, named SQL files, migrations, transactions."""

from lotty.store.database import Store, Tx
from lotty.store.sqlfiles import sql_text

__all__ = ["Store", "Tx", "sql_text"]
