"""The machinery behind the table declarations: :class:`Column` and :class:`Table`.

A :class:`Table` is declared once; its Arrow schema, Polars schema, DuckDB DDL and Markdown
documentation are derived from the declaration. Arrow types map to DuckDB types as follows:
timestamps → ``TIMESTAMPTZ`` (always UTC), ``date32`` → ``DATE``, signed integers →
``TINYINT`` … ``BIGINT``, floats → ``REAL`` / ``DOUBLE``, ``bool`` → ``BOOLEAN``, strings →
``VARCHAR``, lists → ``<type>[]``. A column declared ``json=True`` is a ``VARCHAR`` holding JSON
text (the documentation says so); it is not DuckDB's ``JSON`` type, so the store needs no
extension.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")
"""The type of every timestamp column (microseconds, UTC)."""


@dataclass(frozen=True)
class Column:
    """One column: name (with its unit), Arrow type, nullability and meaning.

    ``json`` marks a string column that holds JSON text; ``doc`` then says what the JSON is.
    """

    name: str
    type: pa.DataType
    doc: str
    nullable: bool = True
    json: bool = False

    def __post_init__(self) -> None:
        if self.json and not pa.types.is_string(self.type):
            raise TypeError(f"{self.name}: a JSON column must be a string column")
        duck_type(self.type)  # every declared type must have a DuckDB type

    @property
    def duck_type(self) -> str:
        """The DuckDB type of the column."""
        return duck_type(self.type)

    @property
    def doc_type(self) -> str:
        """The type as documented: the DuckDB type, with ``(JSON)`` for JSON text."""
        return f"{self.duck_type} (JSON)" if self.json else self.duck_type


@dataclass(frozen=True)
class Table:
    """A canonical table: ordered columns, an optional (composite) primary key, a description."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate column names")
        for key in self.primary_key:
            if key not in names:
                raise ValueError(f"{self.name}: primary key column {key!r} is not a column")
            if self.column(key).nullable:
                raise ValueError(f"{self.name}: primary key column {key!r} must not be nullable")

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the table."""
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    def polars_schema(self) -> dict[str, pl.DataType]:
        """The Polars schema of the table (column name -> dtype)."""
        empty = pl.from_arrow(self.arrow_schema().empty_table())
        assert isinstance(empty, pl.DataFrame)
        return dict(empty.schema)

    def empty(self) -> pl.DataFrame:
        """An empty Polars frame with this table's schema."""
        return pl.DataFrame(schema=self.polars_schema())

    def conform(self, df: pl.DataFrame) -> pl.DataFrame:
        """Return ``df`` with exactly this table's columns, in order and cast to their types.

        Missing nullable columns are added as nulls; extra columns are an error so that
        nothing is silently dropped.
        """
        extra = set(df.columns) - set(self.names)
        if extra:
            raise ValueError(f"{self.name}: unexpected columns {sorted(extra)}")
        schema = self.polars_schema()
        if list(df.schema.items()) == list(schema.items()):
            return df  # already conforming: returned as is, without a copy
        exprs = []
        for col in self.columns:
            dtype = schema[col.name]
            if col.name in df.columns:
                exprs.append(pl.col(col.name) if df.schema[col.name] == dtype
                             else pl.col(col.name).cast(dtype))
            elif col.nullable:
                exprs.append(pl.lit(None, dtype=dtype).alias(col.name))
            else:
                raise ValueError(f"{self.name}: required column {col.name!r} is missing")
        return df.select(exprs)

    def duckdb_ddl(self) -> str:
        """``CREATE TABLE IF NOT EXISTS`` statement for DuckDB.

        Columns that are not nullable are ``NOT NULL``; the primary key may span columns.
        """
        cols = [
            f'"{c.name}" {c.duck_type}' + ("" if c.nullable else " NOT NULL")
            for c in self.columns
        ]
        if self.primary_key:
            cols.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in self.primary_key) + ")")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  " + ",\n  ".join(cols) + "\n)"

    def duckdb_add_column(self, name: str) -> str:
        """``ALTER TABLE … ADD COLUMN IF NOT EXISTS`` for column ``name``.

        For bringing a table created by an older declaration up to date. DuckDB cannot add a
        column with a constraint, so the added column is nullable whatever the declaration.
        """
        c = self.column(name)
        return f'ALTER TABLE {self.name} ADD COLUMN IF NOT EXISTS "{c.name}" {c.duck_type}'

    def markdown(self) -> str:
        """A Markdown table documenting the columns."""
        lines = [f"### `{self.name}`", "", self.doc, ""]
        if self.primary_key:
            key = ", ".join(f"`{k}`" for k in self.primary_key)
            lines += [f"Primary key: ({key}).", ""]
        lines += ["| column | type | null | meaning |", "|---|---|---|---|"]
        for c in self.columns:
            lines.append(
                f"| `{c.name}` | {c.doc_type} | {'yes' if c.nullable else 'no'} | {c.doc} |"
            )
        return "\n".join(lines) + "\n"


def duck_type(t: pa.DataType) -> str:
    """The DuckDB type for Arrow type ``t`` (``TypeError`` when there is none)."""
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ"
    if pa.types.is_date32(t):
        return "DATE"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_int16(t):
        return "SMALLINT"
    if pa.types.is_int8(t):
        return "TINYINT"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_float32(t):
        return "REAL"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "VARCHAR"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return duck_type(t.value_type) + "[]"
    raise TypeError(f"no DuckDB type for {t}")
