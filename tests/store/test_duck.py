import json
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from sanctionwatch.schema import EVENTS, RUNS, VESSEL_MATCHES
from sanctionwatch.store import DuckDBStore, EventFilter
from tests.schema.columns import declared_columns, primary_key, stored_columns

T = datetime(2019, 3, 1, tzinfo=UTC)


def _events(n: int, event_type: str = "ais_gap", hours: float = 7.0) -> pl.DataFrame:
    # the store keys events by event_id whatever made it; ids here are deterministic, as the
    # detectors' are, without depending on how the detectors compute them
    df = pl.DataFrame(
        {
            "event_id": [f"{event_type}-{445000000 + i}-{i}" for i in range(n)],
            "event_type": [event_type] * n,
            "mmsi": [445000000 + i for i in range(n)],
            "start_time": [T + timedelta(hours=i) for i in range(n)],
            "end_time": [T + timedelta(hours=i + hours) for i in range(n)],
            "lat": [38.0 + i / 10 for i in range(n)],
            "lon": [124.0] * n,
            "duration_h": [hours] * n,
            "evidence": [[f"f.nmea:{i}"] for i in range(n)],
        }
    )
    return EVENTS.conform(df)


def test_adding_the_same_events_twice_adds_nothing(tmp_path):
    path = tmp_path / "s.duckdb"
    ev = _events(5)
    with DuckDBStore(path) as st:
        assert st.add_events(ev) == 5
        assert st.add_events(ev) == 0
        assert st.count_events() == 5
    with DuckDBStore(path, read_only=True) as st:
        back = st.events()
    assert back.sort("event_id").equals(ev.sort("event_id"))


def test_filters(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        st.add_events(pl.concat([_events(4), _events(2, "encounter", 3.0)]))
        assert st.events(EventFilter(event_types=("encounter",))).height == 2
        assert st.events(EventFilter(mmsi=445000001)).height == 2
        assert st.events(EventFilter(min_duration_h=5)).height == 4
        assert st.events(EventFilter(since=T + timedelta(hours=9))).height == 2
        assert st.events(EventFilter(until=T + timedelta(minutes=30))).height == 2
        assert st.events(EventFilter(bbox=(123.0, 38.15, 125.0, 39.0))).height == 2
        assert st.events(EventFilter(limit=3)).height == 3


def test_read_only_store_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="no store"):
        DuckDBStore(tmp_path / "missing.duckdb", read_only=True)


def test_failed_insert_leaves_store_unchanged(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        st.add_events(_events(3))
        bad = _events(2).with_columns(pl.lit(None, dtype=pl.Utf8).alias("event_id"))
        with pytest.raises(Exception):  # noqa: B017 - any DB error; the point is the rollback
            st.add_events(bad)
        assert st.count_events() == 3


def _matches(mmsis: list[int], tag: str = "a") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mmsi": mmsis,
            "imo": [9000000 + i for i in range(len(mmsis))],
            "ais_name": [f"SHIP {i}" for i in range(len(mmsis))],
            "match_id": [f"{tag}-{i}" for i in range(len(mmsis))],
            "match_name": [f"Ship {i}" for i in range(len(mmsis))],
            "datasets": [["un_1718_vessels"]] * len(mmsis),
            "score": [0.9 - i / 100 for i in range(len(mmsis))],
            "is_match": [True] * len(mmsis),
            "explanation": ["imo_match +1.00 (9000000)"] * len(mmsis),
            "matched_on": ["imo"] * len(mmsis),
        },
        schema=VESSEL_MATCHES.polars_schema(),
    )


def test_store_tables_are_the_declarations(tmp_path):
    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as st:
        for table in DuckDBStore.TABLES:
            assert stored_columns(st.con, table.name) == declared_columns(table), table.name
            assert primary_key(st.con, table.name) == table.primary_key, table.name
    assert {t.name for t in DuckDBStore.TABLES} == {"events", "quality_findings", "vessel_matches",
                                                    "vessel_identities", "runs", "alert_reviews"}


def test_record_run_writes_engine_and_config(tmp_path):
    path = tmp_path / "s.duckdb"
    config = {"engine": "local", "store": str(path), "ingest": {"workers": 2, "strict": False},
              "detectors": {"ais_gap": {"min_gap_h": 12.0}}, "out_dir": tmp_path / "o"}
    inputs = [{"path": "a.nmea", "bytes": 10, "mtime": "2019-03-01T00:00:00+00:00",
               "sha256": "ab" * 32, "positions": 3, "vessel_reports": 1, "rejects": 0}]
    with DuckDBStore(path) as st:
        st.add_events(_events(2))
        st.record_run("r1", started_at=T, finished_at=T + timedelta(seconds=5), command="detect",
                      inputs=inputs, params={"ais_gap": {"min_gap_h": 12.0}},
                      counts={"positions": 3}, events_new=2, engine="local", config=config)
        # the keywords of before still work: engine and config are then null
        st.record_run("r0", started_at=T - timedelta(days=1), finished_at=T, command="detect",
                      inputs=[], params={}, counts={}, events_new=0)
    with DuckDBStore(path, read_only=True) as st:
        runs = st.runs()
    assert runs.columns == RUNS.names
    assert runs.schema == RUNS.polars_schema()
    assert runs["run_id"].to_list() == ["r1", "r0"]  # newest first
    r1, r0 = runs.row(0, named=True), runs.row(1, named=True)
    assert r1["engine"] == "local"
    assert json.loads(r1["config"]) == {**config, "out_dir": str(tmp_path / "o")}
    assert json.loads(r1["inputs"]) == inputs
    assert (r1["events_new"], r1["events_total"], r1["started_at"]) == (2, 2, T)
    assert (r0["engine"], r0["config"]) == (None, None)


def test_record_run_again_replaces_the_run(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        for engine in ("memory", "dask"):
            st.record_run("r1", started_at=T, finished_at=T, command="detect", inputs=[],
                          params={}, counts={}, events_new=0, engine=engine)
        assert st.runs()["engine"].to_list() == ["dask"]


def test_replace_vessel_matches_replaces_by_mmsi(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        assert st.vessel_matches().equals(VESSEL_MATCHES.empty())
        st.replace_vessel_matches(_matches([1, 2, 3]))
        st.replace_vessel_matches(_matches([2], tag="b"))
        got = st.vessel_matches()
    assert got.schema == VESSEL_MATCHES.polars_schema()
    assert sorted(zip(got["mmsi"], got["match_id"], strict=True)) == [
        (1, "a-0"), (2, "b-0"), (3, "a-2")
    ]


def test_replace_vessel_matches_fills_missing_nullable_columns(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        st.replace_vessel_matches(_matches([1, 2]).drop("imo", "ais_name"))
        got = st.vessel_matches()
        assert stored_columns(st.con, "vessel_matches") == declared_columns(VESSEL_MATCHES)
    assert got.columns == VESSEL_MATCHES.names
    assert got["imo"].null_count() == 2 and got["ais_name"].null_count() == 2
    assert got["match_id"].to_list() == ["a-0", "a-1"]


def test_replace_vessel_matches_refuses_extra_and_missing_required_columns(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        st.replace_vessel_matches(_matches([1]))
        with pytest.raises(ValueError, match=r"vessel_matches: unexpected columns \['features'\]"):
            st.replace_vessel_matches(_matches([1, 2]).with_columns(pl.lit("x").alias("features")))
        with pytest.raises(ValueError, match="required column 'match_id'"):
            st.replace_vessel_matches(_matches([2]).drop("match_id"))
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            st.replace_vessel_matches(_matches([1, 2]).with_columns(pl.lit(None).alias("score")))
        # nothing of the refused screenings was stored, the first one is intact
        assert st.vessel_matches()["mmsi"].to_list() == [1]
        assert stored_columns(st.con, "vessel_matches") == declared_columns(VESSEL_MATCHES)
