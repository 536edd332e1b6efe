"""Ship-registry facts in the store: the ``registry_facts`` table (:mod:`sanctionwatch.schema`).

:func:`store_registry` writes what :func:`sanctionwatch.ingest.registry.read_registry` read, in
one transaction, replacing the rows an earlier load of the same file (same ``source_file``) left;
:func:`registry_facts` reads them back.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from sanctionwatch.ingest.registry import RegistryRead
from sanctionwatch.schema import REGISTRY_FACTS
from sanctionwatch.store.duck import (
    read_table,
    replace_rows,
    table_columns,
)


def store_registry(read: RegistryRead, store_path: str | Path | None = None) -> int:
    """Store the good rows of ``read`` (replacing those of the same file); rows stored."""
    df = REGISTRY_FACTS.conform(read.facts)
    replace_rows(store_path, [(REGISTRY_FACTS, df)], "source_file", read.path)
    return df.height


def registry_facts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every stored registry row, by IMO, start date and file line (empty: none loaded)."""
    if not table_columns(con, REGISTRY_FACTS.name):
        return REGISTRY_FACTS.empty()
    return read_table(con, REGISTRY_FACTS, "imo, date_from NULLS FIRST, source_file, line")


__all__ = ["registry_facts", "store_registry"]
