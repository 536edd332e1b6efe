"""Synthetic time (--assume-time): time-based findings withheld for the vessels concerned,
with a warning; identity and data-quality checks kept."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.ingest.files import IngestOptions
from sanctionwatch.pipeline import detect
from sanctionwatch.schema import EVENTS
from sanctionwatch.timing import TIME_BASED_TYPES, withhold

NO_TIMES = Path(__file__).parent / "data" / "ais" / "pyais-nmea" / "nmea_data_sample.txt"
ASSUMED = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("assumed") / "out"
    return detect([NO_TIMES], out, options=IngestOptions(assume_time=ASSUMED), engine="memory")


def test_no_time_based_finding_from_assumed_times(synthetic):
    found = pl.concat([synthetic.events.select("event_type", "subtype"),
                       synthetic.quality.select("event_type", "subtype")])
    assert not set(found["event_type"]) & TIME_BASED_TYPES
    spoof = set(found.filter(pl.col("event_type") == "spoofing")["subtype"])
    assert not spoof & {"impossible_speed", "simultaneous_positions"}
    # an identifier check does not depend on time: it stays
    assert "invalid_mmsi" in spoof or "invalid_mmsi" in set(found["event_type"])


def test_warning_in_summary(synthetic):
    assert len(synthetic.warnings) == 1
    assert "nmea_data_sample.txt (770 records)" in synthetic.warnings[0]
    # midnight is the assumed time: every position looks like a stale midnight record, and
    # that check, which needs real times, is withheld (port calls need 3 min of positions and
    # no longer form at one instant)
    assert "withheld: stale_record" in synthetic.warnings[0]
    summary = json.loads((synthetic.out_dir / "summary.json").read_text())
    assert summary["warnings"] == synthetic.warnings
    assert summary["inputs"][0]["assumed_time_records"] == 770


def test_no_warning_when_no_time_was_assumed(tmp_path):
    solent = NO_TIMES.parents[1] / "solent-stonesoup" / "SolentAIS_20160112_130211.csv"
    res = detect([solent], tmp_path / "out", options=IngestOptions(assume_time=ASSUMED))
    assert res.warnings == []
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["warnings"] == []


def _event(event_type: str, mmsi: int, other: int | None = None,
           subtype: str | None = None) -> dict[str, object]:
    return {"event_id": f"{event_type}-{mmsi}-{subtype}", "event_type": event_type,
            "subtype": subtype, "mmsi": mmsi, "other_mmsi": other, "start_time": ASSUMED,
            "end_time": ASSUMED + timedelta(hours=1)}


def test_withhold_only_time_based_rows_of_the_vessels_concerned():
    ev = EVENTS.conform(pl.DataFrame([
        _event("ais_gap", 1), _event("ais_gap", 2), _event("encounter", 3, other=1),
        _event("spoofing", 1, subtype="impossible_speed"),
        _event("spoofing", 1, subtype="position_on_land"),
        _event("identity_change", 1, subtype="name"), _event("zone_entry", 1, subtype="stay"),
    ]))
    kept, counts = withhold(ev, {1})
    assert sorted(zip(kept["event_type"], kept["mmsi"], strict=True)) == [
        ("ais_gap", 2), ("identity_change", 1), ("spoofing", 1), ("zone_entry", 1)]
    assert kept.filter(pl.col("event_type") == "spoofing")["subtype"].to_list() == [
        "position_on_land"]
    assert counts == {"ais_gap": 1, "encounter": 1, "spoofing/impossible_speed": 1}
    same, none = withhold(ev, set())
    assert same.height == ev.height and none == {}


def test_cli_warns_on_stderr(tmp_path):
    res = CliRunner().invoke(app, ["detect", str(NO_TIMES), "--out", str(tmp_path / "o"),
                                   "--no-store", "--assume-time", "2020-01-01T00:00:00Z"])
    assert res.exit_code == 0, res.output
    err = " ".join(res.stderr.split())
    assert "warning: times were assumed (--assume-time)" in err
    assert "are not reported" in err
    assert "warning" not in res.stdout


def test_real_times_of_other_inputs_keep_their_findings(tmp_path):
    solent = NO_TIMES.parents[1] / "solent-stonesoup" / "SolentAIS_20160112_130211.csv"
    alone = detect([solent], tmp_path / "a", options=IngestOptions(assume_time=ASSUMED))
    both = detect([solent, NO_TIMES], tmp_path / "b", options=IngestOptions(assume_time=ASSUMED))
    calls = alone.events.filter(pl.col("event_type") == "port_call")
    assert calls.height > 0
    kept = both.events.filter(pl.col("event_type") == "port_call")
    assert kept.select("mmsi", "start_time").sort("mmsi", "start_time").equals(
        calls.select("mmsi", "start_time").sort("mmsi", "start_time"))
    assert len(both.warnings) == 1 and "Solent" not in both.warnings[0]


def test_every_engine_withholds_the_same_and_the_run_record_says_so(tmp_path, synthetic):
    from sanctionwatch.store import DuckDBStore

    res = detect([NO_TIMES], tmp_path / "out", store_path=tmp_path / "s.duckdb",
                 options=IngestOptions(assume_time=ASSUMED), engine="local")
    cols = ["event_id", "event_type", "subtype", "mmsi"]
    assert res.events.select(cols).sort("event_id").equals(
        synthetic.events.select(cols).sort("event_id"))
    assert res.warnings == synthetic.warnings
    with DuckDBStore(tmp_path / "s.duckdb", read_only=True) as st:
        counts = json.loads(st.runs()["counts"][0])
    assert counts["warnings"] == res.warnings
