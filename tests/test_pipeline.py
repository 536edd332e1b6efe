"""End to end: real AIS files and hand-made inputs through ingest, detection, outputs and store."""

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.pipeline import detect
from sanctionwatch.schema import EVENTS, VESSEL_IDENTITIES
from sanctionwatch.store import DuckDBStore
from tests.factory import T0, track

DATA = Path(__file__).parent / "data" / "ais"
SOLENT = DATA / "solent-stonesoup" / "SolentAIS_20160112_130211.csv"
GOTHENBURG = DATA / "dma-gothenburg-cpa" / "ais_dk_cpa.gpkg"
runner = CliRunner()


@pytest.fixture(scope="module")
def solent(tmp_path_factory):
    out = tmp_path_factory.mktemp("solent")
    return detect([SOLENT], out / "out", store_path=out / "s.duckdb")


def test_solent_harbour_moored_ships_are_not_encounters(solent):
    assert solent.ingest.n_positions == 18_623
    assert solent.events.filter(pl.col("event_type") == "encounter").height == 0


def test_solent_corrupt_position_is_caught(solent):
    """One fix at 54.8 E (file line 8209) in a Solent track: a stray position (data quality),
    not spoofing."""
    assert solent.events.filter((pl.col("mmsi") == 245188000)
                                & (pl.col("event_type") == "spoofing")).height == 0
    stray = solent.quality.filter(
        (pl.col("event_type") == "stray_position") & (pl.col("mmsi") == 245188000)
    )
    assert stray.height == 1
    evidence = [e for row in stray["evidence"].to_list() for e in row]
    assert any(e.endswith(":8209") for e in evidence), evidence


def test_outputs_written_whole(solent):
    out = solent.out_dir
    assert out is not None
    names = {p.name for p in out.iterdir()}
    assert {"events.parquet", "events.geojson", "positions.parquet", "vessel_reports.parquet",
            "rejects.parquet", "removed.parquet", "summary.json"} <= names
    assert not [n for n in names if n.startswith(".")], "work files left behind"
    ev = pl.read_parquet(out / "events.parquet")
    assert ev.columns == EVENTS.names
    gj = json.loads((out / "events.geojson").read_text())
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == ev.height
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["positions"] == 18_623
    # identity periods: every vessel with static data has one, each traced to a line
    ids = pl.read_parquet(out / "vessel_identities.parquet")
    reports = pl.read_parquet(out / "vessel_reports.parquet")
    assert ids.columns == VESSEL_IDENTITIES.names
    assert set(ids["mmsi"]) == set(reports["mmsi"])
    assert ids["n_reports"].sum() == reports.height
    assert ids["source"].is_not_null().all() and (ids["record"] > 0).all()
    with DuckDBStore(out.parent / "s.duckdb", read_only=True) as store:
        assert store.vessel_identities().height == ids.height


def test_gothenburg_pair_passing_at_speed_is_not_an_encounter(tmp_path):
    res = detect([GOTHENBURG], tmp_path / "out", store_path=None)
    assert res.ingest.n_positions == 255
    assert res.events.filter(pl.col("event_type") == "encounter").height == 0


def _write_canonical_csv(df: pl.DataFrame, path: Path) -> None:
    df.drop("source", "record").with_columns(
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    ).write_csv(path)


def test_encounter_across_midnight_and_two_files_is_found_whole(tmp_path):
    # Two tankers alongside (about 100 m apart) drifting at 0.5 kn in the Yellow Sea from
    # 21:00 to 03:00; the positions before midnight are in one file, after midnight in another.
    start = T0 + timedelta(hours=21)
    a = track(412000001, 37.5, 124.0, start=start, hours=6, speed_knots=0.5, course_deg=45)
    b = track(445000001, 37.5009, 124.0, start=start + timedelta(minutes=2), hours=6,
              speed_knots=0.5, course_deg=45)
    both = pl.concat([a, b])
    midnight = T0 + timedelta(days=1)
    _write_canonical_csv(both.filter(pl.col("timestamp") < midnight), tmp_path / "day1.csv")
    _write_canonical_csv(both.filter(pl.col("timestamp") >= midnight), tmp_path / "day2.csv")
    res = detect([tmp_path / "day1.csv", tmp_path / "day2.csv"], None, store_path=None,
                 only=["encounter"])
    enc = res.events
    assert enc.height == 1
    row = enc.row(0, named=True)
    assert (row["mmsi"], row["other_mmsi"]) == (412000001, 445000001)
    assert row["start_time"] < midnight < row["end_time"]
    assert row["duration_h"] >= 5.5


def test_cli_detect_twice_adds_nothing_twice(tmp_path):
    store = tmp_path / "s.duckdb"
    args = ["detect", str(SOLENT), "--out", str(tmp_path / "o"), "--store", str(store)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    with DuckDBStore(store, read_only=True) as st:
        n = st.count_events()
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    with DuckDBStore(store, read_only=True) as st:
        assert st.count_events() == n
        runs = st.runs()
    assert runs.height == 2
    assert runs["events_new"].sort().to_list() == [0, n]
    listed = runner.invoke(app, ["events", "--store", str(store), "--json"])
    assert listed.exit_code == 0
    assert len(listed.output.strip().splitlines()) == n


def test_cli_strict_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "mmsi,timestamp,lat,lon\n"
        "412000001,2019-03-01T00:00:00Z,37.5,124.0\n"
        "412000001,not-a-time,37.5,124.0\n"
    )
    res = runner.invoke(app, ["detect", str(bad), "--out", str(tmp_path / "o"), "--no-store",
                              "--strict"])
    assert res.exit_code == 2
    assert "bad.csv:3" in res.output
    # lenient: the bad row is a counted reject, not lost
    ok = runner.invoke(app, ["detect", str(bad), "--out", str(tmp_path / "o2"), "--no-store"])
    assert ok.exit_code == 0, ok.output
    rejects = pl.read_parquet(tmp_path / "o2" / "rejects.parquet")
    assert rejects["record"].to_list() == [3]


def test_cli_help_for_every_command():
    for cmd in ("detect", "events", "ingest", "detectors", "schema", "version"):
        res = runner.invoke(app, [cmd, "--help"])
        assert res.exit_code == 0, cmd
        assert "Usage" in res.output


def test_bad_parameter_override_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["detect", str(SOLENT), "--out", str(tmp_path / "o"), "--no-store",
                              "--param", "encounter.max_distance=3"])
    assert res.exit_code == 2
    assert "max_distance_m" in res.output


def test_vessels_seen_in_ais_are_screened_and_events_enriched(tmp_path):
    store = tmp_path / "s.duckdb"
    lists = Path(__file__).parent / "data" / "sanctions" / "un_1718_vessels"
    loaded = runner.invoke(app, ["lists", "load", str(lists / "un_1718_vessels_2020-06-04.csv"),
                                 "--store", str(store)])
    assert loaded.exit_code == 0, loaded.output
    # a foreign tanker meets a ship broadcasting the IMO of UN-designated XIN GUANG HAI under
    # a new name
    start = T0 + timedelta(hours=2)
    a = track(412000001, 37.5, 124.0, start=start, hours=5, speed_knots=0.5, course_deg=45)
    b = track(445000001, 37.5009, 124.0, start=start, hours=5, speed_knots=0.5, course_deg=45)
    both = pl.concat([a, b]).with_columns(
        pl.when(pl.col("mmsi") == 445000001).then(pl.lit(9004700)).otherwise(pl.lit(9074729))
        .alias("imo"),
        pl.when(pl.col("mmsi") == 445000001).then(pl.lit("PACIFIC STAR"))
        .otherwise(pl.lit("OCEAN TRADER")).alias("name"),
    )
    _write_canonical_csv(both, tmp_path / "ais.csv")
    res = detect([tmp_path / "ais.csv"], tmp_path / "out", store_path=store)
    enc = res.events.filter(pl.col("event_type") == "encounter")
    assert enc.height == 1
    details = json.loads(enc["details"][0])
    hits = details["sanctions_matches"]
    assert {h["match_id"] for h in hits} == {"un1718-9004700"}
    assert hits[0]["matched_on"] == "imo"
    matches = pl.read_parquet(tmp_path / "out" / "vessel_matches.parquet")
    assert matches.filter(pl.col("is_match"))["mmsi"].to_list() == [445000001]
    with DuckDBStore(store, read_only=True) as st:
        assert st.vessel_matches().filter(pl.col("is_match"))["mmsi"].to_list() == [445000001]
