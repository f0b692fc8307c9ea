"""Reading a data dir from outside the server: the catalog export and `lotty.connect()`.

The server owns `lotty.duckdb`; other processes never open it. After every catalog change the
server exports the catalog tables analysts need to `data/lake/catalog/*.parquet`, and the lake
manifest lists the fact files. `connect()` builds an in-memory DuckDB with those tables and the very
same views (sql/views/) over the lake, so analysts are at most one flush interval behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from lotty.store.database import Store
from lotty.store.facts import FACT_SCHEMAS, HOT_TABLE, lake_file_list
from lotty.store.lake import read_manifest
from lotty.store.sqlfiles import sql_text
from lotty.store.views import create_views

CATALOG_TABLES = (
    "flags",
    "event_types",
    "metrics",
    "experiments",
    "experiment_versions",
    "experiment_variants",
    "guardrails",
)


def catalog_dir(lake_dir: Path) -> Path:
    return lake_dir / "catalog"


def export_catalog(store: Store) -> None:
    """Write each catalog table as Parquet (temp file + rename: readers never see half a file)."""
    directory = catalog_dir(store.lake_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with store.read():
        cursor = store.cursor()
        try:
            for table in CATALOG_TABLES:
                arrow = cursor.sql(sql_text(f"export/{table}")).to_arrow_table()
                temporary = directory / f"{table}.parquet.tmp"
                pq.write_table(arrow, temporary, compression="zstd")
                os.replace(temporary, directory / f"{table}.parquet")
        finally:
            cursor.close()


def connect(lake_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB over a data dir's lake: catalog tables, empty hot tables, the views."""
    if not (catalog_dir(lake_dir) / "flags.parquet").exists():
        raise FileNotFoundError(f"{lake_dir} has no catalog export yet: start `lotty serve` on it once")
    connection = duckdb.connect()
    for table in CATALOG_TABLES:
        connection.register(f"{table}_export", pq.read_table(catalog_dir(lake_dir) / f"{table}.parquet"))
        connection.execute(sql_text(f"reader/load_{table}"))
        connection.unregister(f"{table}_export")
    for table, schema in FACT_SCHEMAS.items():
        connection.register(f"{table}_empty", schema.empty_table())
        connection.execute(sql_text(f"reader/create_{HOT_TABLE[table]}"))
        connection.unregister(f"{table}_empty")
    manifest = read_manifest(lake_dir)
    for table in FACT_SCHEMAS:
        files = lake_file_list(
            lake_dir, table, [str(lake_dir / f.path) for f in manifest.files if f.table == table]
        )
        connection.execute(sql_text(f"lake/set_{table}_files"), {"files": files})
    create_views(connection)
    return connection
