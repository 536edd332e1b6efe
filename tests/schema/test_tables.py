"""The table declarations: every DDL creates in DuckDB and round-trips frames; the machinery's
type mapping, NOT NULL, composite primary keys and JSON columns; one source of truth for the
Polars schemas the screening and the list loaders use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.sanctions.model import STATEMENT_SCHEMA, Statement
from sanctionwatch.schema import (
    EVENTS,
    POSITIONS,
    REJECTS,
    RUNS,
    SANCTION_LIST_VERSIONS,
    SANCTION_STATEMENTS,
    TABLES,
    VESSEL_MATCHES,
    VESSEL_REPORTS,
    Column,
    Table,
)
from sanctionwatch.screening.ais_link import MATCH_SCHEMA
from tests.schema.columns import declared_columns, primary_key, stored_columns

ALL = list(TABLES.values())
T0 = datetime(2019, 3, 1, tzinfo=UTC)


def value(t: pa.DataType, i: int) -> Any:
    """A value of Arrow type ``t``, different for every ``i``."""
    if pa.types.is_timestamp(t):
        return T0 + timedelta(hours=i)
    if pa.types.is_date32(t):
        return date(2020, 1, 1) + timedelta(days=i)
    if pa.types.is_integer(t):
        return i + 1
    if pa.types.is_floating(t):
        return i + 0.5
    if pa.types.is_boolean(t):
        return i % 2 == 0
    if pa.types.is_string(t):
        return f"v{i}"
    if pa.types.is_list(t):
        return [value(t.value_type, i), value(t.value_type, i + 1)]
    raise AssertionError(f"no sample value for {t}")


def full_row(table: Table, i: int) -> dict[str, Any]:
    return {c.name: value(c.type, i) for c in table.columns}


def required_only(table: Table, i: int) -> pl.DataFrame:
    """One row holding only the required columns, conformed (the others become null)."""
    row = {c.name: value(c.type, i) for c in table.columns if not c.nullable}
    schema = {k: v for k, v in table.polars_schema().items() if k in row}
    return table.conform(pl.DataFrame([row], schema=schema))


def insert(con: duckdb.DuckDBPyConnection, table: Table, df: pl.DataFrame) -> None:
    cols = ", ".join(f'"{c}"' for c in table.names)
    con.register("_frame", df.to_arrow())
    try:
        con.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM _frame")
    finally:
        con.unregister("_frame")


def read_back(con: duckdb.DuckDBPyConnection, table: Table) -> pl.DataFrame:
    cols = ", ".join(f'"{c}"' for c in table.names)
    df = pl.from_arrow(con.sql(f"SELECT {cols} FROM {table.name} ORDER BY rowid").to_arrow_table())
    assert isinstance(df, pl.DataFrame)
    return df


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    return c


def test_every_table_is_listed():
    assert list(TABLES) == [
        "positions", "vessel_reports", "rejects", "events", "quality_findings",
        "vessel_matches", "vessel_identities", "runs", "sanction_statements",
        "sanction_list_versions", "registry_facts", "entity_decisions", "alert_reviews",
        "crypto_flows", "crypto_addresses", "cashout_alerts", "shipment_flags",
        "mirror_findings", "petroleum_deliveries", "petroleum_evidence",
    ]
    assert all(TABLES[name].name == name for name in TABLES)
    assert (TABLES["positions"], TABLES["vessel_reports"], TABLES["rejects"],
            TABLES["events"]) == (POSITIONS, VESSEL_REPORTS, REJECTS, EVENTS)


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.name)
def test_ddl_creates_the_declared_columns_and_key(con, table):
    con.execute(table.duckdb_ddl())
    con.execute(table.duckdb_ddl())  # IF NOT EXISTS: a second run is a no-op
    assert stored_columns(con, table.name) == declared_columns(table)
    assert primary_key(con, table.name) == table.primary_key


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.name)
def test_empty_and_conformed_frames_round_trip(con, table):
    con.execute(table.duckdb_ddl())
    insert(con, table, table.empty())
    assert read_back(con, table).height == 0
    frame = pl.concat([
        pl.DataFrame([full_row(table, 0)], schema=table.polars_schema()),
        required_only(table, 1),
    ])
    insert(con, table, frame)
    back = table.conform(read_back(con, table))
    assert back.schema == table.polars_schema()
    assert back.equals(frame)
    if any(c.nullable for c in table.columns):
        assert back.row(1, named=True)[next(c.name for c in table.columns if c.nullable)] is None


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.name)
def test_required_columns_are_not_null_in_the_ddl(con, table):
    con.execute(table.duckdb_ddl())
    required = [c.name for c in table.columns if not c.nullable]
    assert required, f"{table.name} declares no required column"
    bad = pl.DataFrame([full_row(table, 0)], schema=table.polars_schema()).with_columns(
        pl.lit(None, dtype=table.polars_schema()[required[-1]]).alias(required[-1])
    )
    with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
        insert(con, table, bad)


def test_composite_primary_key_is_enforced(con):
    t = SANCTION_LIST_VERSIONS
    assert t.primary_key == ("dataset", "list_date")
    con.execute(t.duckdb_ddl())
    row = full_row(t, 0)
    insert(con, t, pl.DataFrame([row], schema=t.polars_schema()))
    later = {**row, "list_date": row["list_date"] + timedelta(days=1)}
    insert(con, t, pl.DataFrame([later], schema=t.polars_schema()))  # another version: fine
    with pytest.raises(duckdb.ConstraintException, match=r"(?i)duplicate key"):
        insert(con, t, pl.DataFrame([{**row, "path": "other"}], schema=t.polars_schema()))
    assert "PRIMARY KEY (\"dataset\", \"list_date\")" in t.duckdb_ddl()
    assert "Primary key: (`dataset`, `list_date`)." in t.markdown()


def test_date_columns_are_duckdb_dates_and_polars_dates():
    c = SANCTION_STATEMENTS.column("list_date")
    assert (c.type, c.duck_type) == (pa.date32(), "DATE")
    assert SANCTION_STATEMENTS.polars_schema()["list_date"] == pl.Date()
    assert '"list_date" DATE NOT NULL' in SANCTION_STATEMENTS.duckdb_ddl()


def test_json_columns_are_varchar_and_documented_as_json():
    json_cols = {t.name: [c.name for c in t.columns if c.json] for t in ALL}
    assert json_cols["runs"] == ["inputs", "params", "config", "counts"]
    assert json_cols["events"] == ["details"]
    for name in ("inputs", "params", "config", "counts"):
        c = RUNS.column(name)
        assert c.duck_type == "VARCHAR"
        assert f"| `{name}` | VARCHAR (JSON) |" in RUNS.markdown()
    with pytest.raises(TypeError, match="JSON"):
        Column("n", pa.int64(), "not text", json=True)


def test_runs_inputs_documents_the_file_record():
    doc = RUNS.column("inputs").doc
    assert "{path, bytes, mtime, sha256, positions, vessel_reports, rejects}" in doc
    assert "repeat" in RUNS.column("config").doc


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="must not be nullable"):
        Table("t", "", (Column("a", pa.string(), ""),), primary_key=("a",))
    with pytest.raises(ValueError, match="not a column"):
        Table("t", "", (Column("a", pa.string(), "", False),), primary_key=("b",))
    with pytest.raises(ValueError, match="duplicate"):
        Table("t", "", (Column("a", pa.string(), ""), Column("a", pa.int64(), "")))
    with pytest.raises(TypeError, match="no DuckDB type"):
        Column("u", pa.uint32(), "")


def test_conform_adds_missing_nullable_columns_and_refuses_extra_ones():
    row = full_row(VESSEL_MATCHES, 0)
    df = pl.DataFrame([row], schema=VESSEL_MATCHES.polars_schema())
    out = VESSEL_MATCHES.conform(df.drop("imo", "ais_name"))
    assert out.columns == VESSEL_MATCHES.names
    assert out["imo"].to_list() == [None] and out["ais_name"].to_list() == [None]
    with pytest.raises(ValueError, match=r"unexpected columns \['extra'\]"):
        VESSEL_MATCHES.conform(df.with_columns(pl.lit(1).alias("extra")))
    with pytest.raises(ValueError, match="required column 'score'"):
        VESSEL_MATCHES.conform(df.drop("score"))


def test_add_column_statement_for_older_tables(con):
    con.execute('CREATE TABLE runs ("run_id" VARCHAR PRIMARY KEY)')
    con.execute(RUNS.duckdb_add_column("config"))
    con.execute(RUNS.duckdb_add_column("config"))  # IF NOT EXISTS
    assert stored_columns(con, "runs") == [
        ("run_id", "VARCHAR", False), ("config", "VARCHAR", True)
    ]


def test_polars_schemas_of_the_screening_and_the_lists_are_the_declarations():
    # the dtypes the outputs had before the tables were declared: they must not change
    assert {
        "mmsi": pl.Int64(), "imo": pl.Int64(), "ais_name": pl.String(), "match_id": pl.String(),
        "match_name": pl.String(), "datasets": pl.List(pl.String()), "score": pl.Float64(),
        "is_match": pl.Boolean(), "explanation": pl.String(), "matched_on": pl.String(),
    } == MATCH_SCHEMA
    assert VESSEL_MATCHES.polars_schema() == MATCH_SCHEMA
    assert {
        "entity_id": pl.String(), "schema": pl.String(), "prop": pl.String(),
        "value": pl.String(), "dataset": pl.String(), "list_date": pl.Date(),
        "source_record": pl.String(), "first_seen": pl.Date(),
    } == STATEMENT_SCHEMA
    assert SANCTION_STATEMENTS.polars_schema() == STATEMENT_SCHEMA
    # rows fetched in declared column order are turned into Statements positionally
    assert list(Statement._fields) == SANCTION_STATEMENTS.names


@pytest.mark.parametrize("name", ["runs", "vessel_matches", "vessel_identities",
                                  "sanction_statements", "sanction_list_versions",
                                  "registry_facts", "alert_reviews", "crypto_flows",
                                  "crypto_addresses", "cashout_alerts", "shipment_flags",
                                  "mirror_findings", "petroleum_deliveries",
                                  "petroleum_evidence"])
def test_cli_schema_prints_every_table(name):
    res = CliRunner().invoke(app, ["schema", name])
    assert res.exit_code == 0, res.output
    assert f"### `{name}`" in res.output
    for c in TABLES[name].columns:
        assert f"`{c.name}`" in res.output
