"""Persistent stores: an embedded DuckDB file by default."""

from sanctionwatch.store.access import (
    StoreBusy,
    StoreNotWritable,
    check_store_writable,
    connect,
)
from sanctionwatch.store.duck import (
    DuckDBStore,
    EventFilter,
    default_store_path,
    ensure_tables,
    read_table,
    table_columns,
)

__all__ = [
    "DuckDBStore",
    "EventFilter",
    "StoreBusy",
    "StoreNotWritable",
    "check_store_writable",
    "connect",
    "default_store_path",
    "ensure_tables",
    "read_table",
    "table_columns",
]
