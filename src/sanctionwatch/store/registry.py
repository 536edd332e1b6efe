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
from sanctionwatch.store.access import connect
from sanctionwatch.store.duck import default_store_path, ensure_tables, read_table, table_columns


def store_registry(read: RegistryRead, store_path: str | Path | None = None) -> int:
    """Store the good rows of ``read`` (replacing those of the same file); rows stored."""
    path = Path(store_path) if store_path is not None else default_store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = connect(path, read_only=False)
    try:
        ensure_tables(con, (REGISTRY_FACTS,))
        df = REGISTRY_FACTS.conform(read.facts)
        cols = ", ".join(f'"{c}"' for c in REGISTRY_FACTS.names)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DELETE FROM {REGISTRY_FACTS.name} WHERE source_file = ?", [read.path])
            if df.height:
                con.register("_registry", df.to_arrow())
                con.execute(f"INSERT INTO {REGISTRY_FACTS.name} ({cols}) "
                            f"SELECT {cols} FROM _registry")
                con.unregister("_registry")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    return df.height


def registry_facts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every stored registry row, by IMO, start date and file line (empty: none loaded)."""
    if not table_columns(con, REGISTRY_FACTS.name):
        return REGISTRY_FACTS.empty()
    return read_table(con, REGISTRY_FACTS, "imo, date_from NULLS FIRST, source_file, line")


__all__ = ["registry_facts", "store_registry"]
