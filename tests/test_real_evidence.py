"""Evidence thresholds on the real MarineCadastre sample (issue 13): no port call of one
position; GARDEN STATE's flapping draught (two transponders, 11.2 / 8.6 m every 3 min) gives at
most one change."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.pipeline import detect

MARINECADASTRE = (Path(__file__).parent / "data" / "ais" / "marinecadastre-20220103"
                  / "AIS_2022_01_03_first99999.parquet")


@pytest.fixture(scope="module")
def marinecadastre(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mc") / "out"
    detect([MARINECADASTRE], out, only=["port_call", "draught_change"])
    return out


def test_no_port_call_of_one_position(marinecadastre: Path) -> None:
    calls = pl.read_parquet(marinecadastre / "events.parquet").filter(
        pl.col("event_type") == "port_call")
    assert calls.height > 1000  # ships at berth in the dense first 24 minutes still call
    assert calls["n_positions"].min() >= 3  # type: ignore[operator]
    observed = calls["details"].str.json_path_match("$.last_position_in_port").str.to_datetime(
        time_zone="UTC") - calls["start_time"]
    assert observed.dt.total_seconds().min() >= 3 * 60  # type: ignore[operator]


def test_garden_state_flapping_draught_is_at_most_one_change(marinecadastre: Path) -> None:
    reports = pl.read_parquet(marinecadastre / "vessel_reports.parquet")
    mmsi = reports.filter(pl.col("name") == "GARDEN STATE")["mmsi"].unique()
    assert mmsi.len() == 1
    flaps = reports.filter(pl.col("mmsi") == mmsi[0])["draught_m"]
    assert flaps.n_unique() == 2 and flaps.len() >= 8  # the flapping is in the data
    events = pl.read_parquet(marinecadastre / "events.parquet")
    changes = events.filter((pl.col("event_type") == "draught_change")
                            & (pl.col("mmsi") == mmsi[0]))
    assert changes.height <= 1
