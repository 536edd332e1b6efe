"""A store file written by the code before the store tables were declared still opens and works.

The old store is made here with the DDL strings and inserts that code executed, literally.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from sanctionwatch.schema import EVENTS, RUNS, VESSEL_MATCHES
from sanctionwatch.store import DuckDBStore
from tests.schema.columns import declared_columns, stored_columns

T = datetime(2019, 3, 1, tzinfo=UTC)

OLD_EVENTS_DDL = """CREATE TABLE IF NOT EXISTS events (
  "event_id" VARCHAR,
  "event_type" VARCHAR,
  "mmsi" BIGINT,
  "other_mmsi" BIGINT,
  "start_time" TIMESTAMPTZ,
  "end_time" TIMESTAMPTZ,
  "lat" DOUBLE,
  "lon" DOUBLE,
  "duration_h" DOUBLE,
  "subtype" VARCHAR,
  "end_lat" DOUBLE,
  "end_lon" DOUBLE,
  "distance_km" DOUBLE,
  "implied_speed_knots" DOUBLE,
  "median_distance_m" DOUBLE,
  "median_speed_knots" DOUBLE,
  "distance_to_port_km" DOUBLE,
  "distance_from_shore_km" DOUBLE,
  "draught_before_m" REAL,
  "draught_after_m" REAL,
  "draught_changed" BOOLEAN,
  "likely_intentional" BOOLEAN,
  "port_name" VARCHAR,
  "port_country" VARCHAR,
  "is_dprk" BOOLEAN,
  "zone_id" VARCHAR,
  "zone_name" VARCHAR,
  "old_value" VARCHAR,
  "new_value" VARCHAR,
  "n_positions" BIGINT,
  "related_event_ids" VARCHAR[],
  "evidence" VARCHAR[],
  "details" VARCHAR,
  PRIMARY KEY (event_id)
)"""

OLD_RUNS_DDL = """
CREATE TABLE IF NOT EXISTS runs (
  run_id VARCHAR PRIMARY KEY,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  command VARCHAR,
  inputs VARCHAR,      -- JSON list of {path, sha256, bytes}
  params VARCHAR,      -- JSON object of detector parameters
  counts VARCHAR,      -- JSON object: positions, reports, rejects by reason, events by type
  events_new BIGINT,
  events_total BIGINT
)
"""

OLD_RUN_COLUMNS = ["run_id", "started_at", "finished_at", "command", "inputs", "params",
                   "counts", "events_new", "events_total"]


def _events(ids: list[str]) -> pl.DataFrame:
    n = len(ids)
    return EVENTS.conform(pl.DataFrame({
        "event_id": ids,
        "event_type": ["ais_gap"] * n,
        "mmsi": [445000000 + i for i in range(n)],
        "start_time": [T + timedelta(hours=i) for i in range(n)],
        "end_time": [T + timedelta(hours=i + 7) for i in range(n)],
        "evidence": [[f"f.nmea:{i}"] for i in range(n)],
    }))


def _matches(mmsi: int, match_id: str) -> pl.DataFrame:
    """A screening as ``screen_vessels`` made it before (the old, literal MATCH_SCHEMA)."""
    return pl.DataFrame(
        [{"mmsi": mmsi, "imo": 8909575, "ais_name": "CHONG BONG", "match_id": match_id,
          "match_name": "Chong Bong", "datasets": ["un_1718_vessels"], "score": 1.0,
          "is_match": True, "explanation": "imo_match +1.00", "matched_on": "imo"}],
        schema={"mmsi": pl.Int64(), "imo": pl.Int64(), "ais_name": pl.String(),
                "match_id": pl.String(), "match_name": pl.String(),
                "datasets": pl.List(pl.String()), "score": pl.Float64(),
                "is_match": pl.Boolean(), "explanation": pl.String(),
                "matched_on": pl.String()},
    )


def make_old_store(path: Path, with_matches: bool = True) -> None:
    """What ``detect --store`` left behind before: old DDL, an event, a run, a screening."""
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(OLD_EVENTS_DDL)
    con.execute(OLD_RUNS_DDL)
    con.register("_new_events", _events(["old-1"]).to_arrow())
    cols = ", ".join(f'"{c}"' for c in EVENTS.names)
    con.execute(f"INSERT OR REPLACE INTO events ({cols}) SELECT {cols} FROM _new_events")
    con.execute(
        "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ["old-run", T, T + timedelta(minutes=1), "detect",
         json.dumps([{"path": "a.nmea", "bytes": 1}]), "{}", "{}", 1, 1],
    )
    if with_matches:
        con.register("_matches", _matches(445000000, "un1718-8909575").to_arrow())
        con.execute("CREATE TABLE IF NOT EXISTS vessel_matches AS SELECT * FROM _matches LIMIT 0")
        con.execute("INSERT INTO vessel_matches BY NAME SELECT * FROM _matches")
    con.close()


def test_old_store_opens_read_only_without_changes(tmp_path):
    path = tmp_path / "old.duckdb"
    make_old_store(path)
    with DuckDBStore(path, read_only=True) as st:
        assert [c for c, _, _ in stored_columns(st.con, "runs")] == OLD_RUN_COLUMNS
        runs = st.runs()
        matches = st.vessel_matches()
        assert st.count_events() == 1
    # readers give the declared columns; what the old store lacks is null
    assert runs.columns == RUNS.names and runs.schema == RUNS.polars_schema()
    assert runs.row(0, named=True)["run_id"] == "old-run"
    assert (runs["engine"].to_list(), runs["config"].to_list()) == ([None], [None])
    assert matches.schema == VESSEL_MATCHES.polars_schema()
    assert matches["match_id"].to_list() == ["un1718-8909575"]
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert [c for c, _, _ in stored_columns(con, "runs")] == OLD_RUN_COLUMNS
    finally:
        con.close()


def test_old_store_without_vessel_matches_reads_empty_read_only(tmp_path):
    path = tmp_path / "old.duckdb"
    make_old_store(path, with_matches=False)
    with DuckDBStore(path, read_only=True) as st:
        assert st.vessel_matches().equals(VESSEL_MATCHES.empty())


@pytest.mark.parametrize("with_matches", [True, False])
def test_old_store_opens_read_write_and_gains_the_new_columns(tmp_path, with_matches):
    path = tmp_path / "old.duckdb"
    make_old_store(path, with_matches)
    with DuckDBStore(path) as st:
        runs_cols = stored_columns(st.con, "runs")
        # the old columns keep their place, the new ones are added at the end
        assert [c for c, _, _ in runs_cols] == [*OLD_RUN_COLUMNS, "engine", "config"]
        assert {(c, t) for c, t, _ in runs_cols} == {(c, t) for c, t, _ in declared_columns(RUNS)}
        got = stored_columns(st.con, "vessel_matches")
        if with_matches:  # created by the first insert: same names and types, no NOT NULL
            assert [(c, t) for c, t, _ in got] == [
                (c, t) for c, t, _ in declared_columns(VESSEL_MATCHES)
            ]
        else:  # created from the declaration
            assert got == declared_columns(VESSEL_MATCHES)

        # the old events table (no NOT NULL) accepts inserts
        assert st.add_events(_events(["old-1", "new-1"])) == 1
        assert st.count_events() == 2
        # runs are inserted by name: engine and config land in their columns
        st.record_run("new-run", started_at=T + timedelta(days=1),
                      finished_at=T + timedelta(days=1, minutes=1), command="detect",
                      inputs=[{"path": "b.nmea", "bytes": 2, "sha256": "00" * 32}],
                      params={"ais_gap": {}}, counts={"positions": 0}, events_new=1,
                      engine="memory", config={"engine": "memory", "detectors": {"ais_gap": {}}})
        raw = st.con.execute(
            "SELECT engine, config, events_total FROM runs WHERE run_id = 'new-run'"
        ).fetchall()
        assert raw == [("memory", '{"engine": "memory", "detectors": {"ais_gap": {}}}', 2)]
        runs = st.runs()
        assert runs.columns == RUNS.names
        assert runs["run_id"].to_list() == ["new-run", "old-run"]
        assert runs["engine"].to_list() == ["memory", None]

        st.replace_vessel_matches(_matches(445000000, "un1718-9000000").drop("imo"))
        st.replace_vessel_matches(_matches(445000001, "un1718-9000001"))
        m = st.vessel_matches()
        assert m.columns == VESSEL_MATCHES.names
        assert sorted(m["match_id"].to_list()) == ["un1718-9000000", "un1718-9000001"]
        assert m.filter(pl.col("mmsi") == 445000000)["imo"].to_list() == [None]

    # opening again changes nothing more
    with DuckDBStore(path) as st:
        assert [c for c, _, _ in stored_columns(st.con, "runs")] == [
            *OLD_RUN_COLUMNS, "engine", "config"
        ]
        assert st.runs().height == 2
