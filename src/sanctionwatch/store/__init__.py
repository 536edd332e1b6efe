"""Persistent stores: an embedded DuckDB file by default."""

from sanctionwatch.store.duck import DuckDBStore, EventFilter, default_store_path

__all__ = ["DuckDBStore", "EventFilter", "default_store_path"]
