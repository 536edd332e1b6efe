"""Compare what DuckDB holds with what a table declaration says."""

from __future__ import annotations

import duckdb

from sanctionwatch.schema import Table

# DuckDB reports some types under another name than the one the DDL uses
_SPELLED = {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ", "FLOAT": "REAL"}


def declared_columns(table: Table) -> list[tuple[str, str, bool]]:
    """(name, DuckDB type, nullable) of every declared column, in order."""
    return [(c.name, c.duck_type, c.nullable) for c in table.columns]


def stored_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str, bool]]:
    """(name, DuckDB type, nullable) of every column of table ``name``, in order."""
    rows = con.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name = ? AND table_catalog = current_database() "
        "AND table_schema = current_schema() ORDER BY ordinal_position",
        [name],
    ).fetchall()
    return [(str(n), _SPELLED.get(str(t), str(t)), nullable == "YES") for n, t, nullable in rows]


def primary_key(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, ...]:
    """The primary key columns of table ``name`` (empty: none)."""
    rows = con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY' "
        "AND database_name = current_database() AND schema_name = current_schema()",
        [name],
    ).fetchall()
    return tuple(rows[0][0]) if rows else ()
