"""On the real samples: identifier formats and midnight-stamped records are data quality, not
spoofing; stations other than ships are classified and kept from the vessel detectors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.ids import US_MIDS
from sanctionwatch.pipeline import detect

DATA = Path(__file__).resolve().parent / "data" / "ais"
MC = DATA / "marinecadastre-20220103" / "AIS_2022_01_03_first99999.parquet"
NMEA = [DATA / "aisdb-testdata" / "test_data_20211101.nm4",
        DATA / "aisdb-testdata" / "test_data_201201.nmea"]
CHECKS = ["spoofing", "port_call", "invalid_mmsi", "invalid_imo", "stale_record",
          "duplicate_transponder", "impossible_value"]


@pytest.fixture(scope="module")
def mc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mc")
    detect([MC], out, only=CHECKS)
    return out


def test_marinecadastre_no_spoofing_from_identifier_formats(mc: Path) -> None:
    ev = pl.read_parquet(mc / "events.parquet")
    spoof = ev.filter(pl.col("event_type") == "spoofing")
    assert set(spoof["subtype"]) <= {"impossible_speed", "simultaneous_positions",
                                     "position_on_land", "sustained_teleport"}
    q = pl.read_parquet(mc / "quality.parquet")
    imo = q.filter(pl.col("event_type") == "invalid_imo")
    uscg = imo.filter(pl.col("subtype") == "uscg_documentation_number")
    assert uscg.height >= 60  # the US habit, named as such
    assert (uscg["mmsi"] // 1_000_000).is_in(list(US_MIDS)).all()


def test_marinecadastre_no_jump_from_midnight_stamped_records(mc: Path) -> None:
    ev = pl.read_parquet(mc / "events.parquet")
    jumps = ev.filter(pl.col("subtype") == "impossible_speed")
    tod_s = (jumps["start_time"] - jumps["start_time"].dt.truncate("1d")).dt.total_seconds()
    assert (tod_s >= 2).all(), jumps.filter(tod_s < 2).select("mmsi", "start_time")
    q = pl.read_parquet(mc / "quality.parquet")
    stale = q.filter(pl.col("event_type") == "stale_record")
    assert stale.height >= 30
    # 311000923: the previous hours of its voyage, all stamped 00:00:00-00:00:01
    row = stale.filter(pl.col("mmsi") == 311000923).row(0, named=True)
    assert len(row["evidence"]) == 6
    stale_records = set(stale["evidence"].explode().to_list())
    assert not stale_records & set(jumps["evidence"].explode().to_list())


def test_marinecadastre_two_transponders_and_stations(mc: Path) -> None:
    q = pl.read_parquet(mc / "quality.parquet")
    garden = q.filter((pl.col("event_type") == "duplicate_transponder")
                      & (pl.col("mmsi") == 367102000))  # GARDEN STATE
    d = json.loads(garden["details"][0])
    assert (garden["subtype"][0], d["value_a"], d["value_b"]) == ("draught", 11.2, 8.6)
    st = pl.read_parquet(mc / "stations.parquet")
    types = dict(zip(st["mmsi"].to_list(), st["station_type"].to_list(), strict=True))
    assert types[999999999] == "invalid_identity"  # "USS GOVT VESSEL"
    assert types[3669881] == "coast_station"
    assert types[972971214] == "sart_mob_epirb"
    assert types[983105007] == "craft_associated"
    assert types[367102000] == "ship_class_a"
    others = st.filter(~pl.col("station_type").str.starts_with("ship"))["mmsi"]
    ev = pl.read_parquet(mc / "events.parquet")
    assert not ev["mmsi"].is_in(others.implode()).any()  # no port calls, no spoofing
    summary = json.loads((mc / "summary.json").read_text())
    assert summary["counts"]["stations"]["coast_station"] == st.filter(
        pl.col("station_type") == "coast_station").height


def test_nmea_samples_stations(tmp_path: Path) -> None:
    detect(NMEA, tmp_path, only=["invalid_mmsi"])
    st = pl.read_parquet(tmp_path / "stations.parquet")
    types = dict(zip(st["mmsi"].to_list(), st["station_type"].to_list(), strict=True))
    assert types[123456789] == "invalid_identity"
    assert types[974291422] == "sart_mob_epirb"
    # base stations (message 4), an aid to navigation (21), a SAR aircraft on a ship format (9)
    assert [types[m] for m in (3669713, 3669157, 4132424)] == ["coast_station"] * 3
    assert types[995121027] == "aid_to_navigation"
    assert types[400214919] == "sar_aircraft"
    assert types[992766606] == "aid_to_navigation"  # a net buoy on an Estonian AtoN identity
    assert types[994008087] == "invalid_identity"  # AtoN format, MID 400 unallocated
    q = pl.read_parquet(tmp_path / "quality.parquet")
    assert 123456789 in q["mmsi"].to_list()
