"""The fact tables' shape, shared by the writer, the lake and the readers.

Timestamps travel as integer microseconds since the Unix epoch (UTC); JSON columns as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FACT_SCHEMAS: dict[str, pa.Schema] = {
    "enrolments": pa.schema(
        [
            ("experiment", pa.string()),
            ("version", pa.int32()),
            ("subject_id", pa.string()),
            ("variant", pa.string()),
            ("enrolled_at", pa.timestamp("us")),
            ("decision_id", pa.string()),
        ]
    ),
    "decisions": pa.schema(
        [
            ("decision_id", pa.string()),
            ("decided_at", pa.timestamp("us")),
            ("subject_id", pa.string()),
            ("flag", pa.string()),
            ("reason", pa.string()),
            ("value", pa.string()),
            ("experiment", pa.string()),
            ("experiment_version", pa.int32()),
            ("variant", pa.string()),
        ]
    ),
    "events": pa.schema(
        [
            ("event_id", pa.string()),
            ("event_type", pa.string()),
            ("decision_id", pa.string()),
            ("subject_id", pa.string()),
            ("flag", pa.string()),
            ("experiment", pa.string()),
            ("experiment_version", pa.int32()),
            ("variant", pa.string()),
            ("ts", pa.timestamp("us")),
            ("received_at", pa.timestamp("us")),
            ("properties", pa.string()),  # JSON text
        ]
    ),
}


HOT_TABLE = {"enrolments": "enrolments_hot", "decisions": "decisions_hot", "events": "events_hot"}


def schema_file(lake_dir: Path, table: str) -> Path:
    """An empty Parquet file with the table's columns: the lake list is never empty, so the views
    always bind (DuckDB's read_parquet needs at least one file)."""
    return lake_dir / "_schemas" / f"{table}.parquet"


def lake_file_list(lake_dir: Path, table: str, data_files: Iterable[str]) -> list[str]:
    """What the views of `table` read: its data files, then its empty schema file. The schema file
    goes last because DuckDB estimates a file list's rows from its first file: listed first, it made
    every lake read look empty to the optimizer, which then built join hash tables on the whole lake."""
    return [*data_files, str(schema_file(lake_dir, table))]


def ensure_schema_files(lake_dir: Path) -> None:
    for table, schema in FACT_SCHEMAS.items():
        path = schema_file(lake_dir, table)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            pq.write_table(schema.empty_table(), temporary)
            temporary.replace(path)
