"""The messy scenario: each planted mess is in the data as labelled, each hard negative as
its window says."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from sanctionwatch.geo import haversine_m
from sanctionwatch.ids import imo_valid_array
from sanctionwatch.ingest.ais import read_ais
from sanctionwatch.simulate import generate, simulate
from sanctionwatch.simulate.labels import NEGATIVE_SCHEMA


@pytest.fixture(scope="module")
def messy():
    return generate("messy", 3, vessels=40, days=5)


def _neg(frames, kind: str) -> pl.DataFrame:
    return frames.negatives.filter(pl.col("kind") == kind)


def test_deterministic_and_every_mess_present(messy):
    again = generate("messy", 3, vessels=40, days=5)
    assert again.positions.equals(messy.positions) and again.labels.equals(messy.labels)
    assert again.negatives.equals(messy.negatives)
    assert dict(messy.negatives.schema) == NEGATIVE_SCHEMA
    kinds = set(messy.negatives["kind"])
    assert {"feed_outage", "area_outage", "misstamped_record", "uscg_number",
            "duplicate_transponder", "base_station", "aid_to_navigation", "gear_buoy",
            "unlisted_harbour"} <= kinds
    planted = set(messy.labels.filter(pl.col("planted"))["event_type"])
    assert {"spoofing", "invalid_imo", "stale_record", "duplicate_transponder"} <= planted


def test_outages_are_silent_and_no_gap_is_expected_there(messy):
    p = messy.positions
    for kind in ("feed_outage", "area_outage"):
        n = _neg(messy, kind).row(0, named=True)
        assert n["event_type"] == "ais_gap" and n["mmsi"] is None
        t = pl.col("timestamp").is_between(n["start_time"], n["end_time"], closed="left")
        inside = t
        if n["min_lon"] is not None:
            inside = t & pl.col("lon").is_between(n["min_lon"], n["max_lon"]) & pl.col(
                "lat").is_between(n["min_lat"], n["max_lat"])
            assert p.filter(t & ~inside).height > 0  # the rest of the feed still heard
        assert p.filter(inside).height == 0
        assert (n["end_time"] - n["start_time"]) >= timedelta(hours=8)
        gaps = messy.labels.filter((pl.col("event_type") == "ais_gap")
                                   & (pl.col("start_time") < n["end_time"])
                                   & (pl.col("end_time") > n["start_time"]))
        if n["min_lon"] is None:
            assert gaps.height == 0


def test_misstamped_records_are_stale_copies_at_midnight(messy):
    lab = messy.labels.filter(pl.col("event_type") == "stale_record")
    assert lab.height >= 10
    midnight = lab["start_time"][0]
    assert midnight.hour == midnight.minute == midnight.second == 0
    assert (lab["start_time"] == midnight).all()
    for r in lab.iter_rows(named=True):
        stale = messy.positions.filter((pl.col("mmsi") == r["mmsi"])
                                       & (pl.col("timestamp") == midnight)
                                       & (pl.col("lat") == r["lat"]))
        assert stale.height >= 1
        # the same position is reported again hours later, at its true time
        later = messy.positions.filter((pl.col("mmsi") == r["mmsi"]) & (pl.col("lat") == r["lat"])
                                       & (pl.col("timestamp") > midnight + timedelta(hours=7)))
        assert later.height >= 1


def test_uscg_numbers_are_us_vessels_failing_the_imo_check(messy):
    lab = messy.labels.filter(pl.col("event_type") == "invalid_imo")
    assert lab.height == 2 and (lab["subtype"] == "uscg_documentation_number").all()
    assert messy.labels.filter((pl.col("event_type") == "spoofing")
                               & pl.col("mmsi").is_in(lab["mmsi"].implode())).height == 0
    for m in lab["mmsi"]:
        assert 366 <= m // 1_000_000 <= 369
        imos = messy.reports.filter(pl.col("mmsi") == m)["imo"].unique()
        assert imos.len() == 1 and 1_000_000 <= imos[0] < 1_300_000
        assert not imo_valid_array(np.array([float(imos[0])]))[0]


def test_two_transponders_alternate_the_draught(messy):
    lab = messy.labels.filter(pl.col("event_type") == "duplicate_transponder").row(0, named=True)
    rep = messy.reports.filter((pl.col("mmsi") == lab["mmsi"]) & pl.col("timestamp").is_between(
        lab["start_time"], lab["end_time"])).sort("timestamp")
    d = rep["draught_m"].to_numpy()
    assert len(set(d.tolist())) == 2 and abs(d.max() - d.min()) == pytest.approx(2.6)
    assert (np.diff(d) != 0).sum() >= 20  # flapping, every few minutes
    # no draught change is expected while it flaps
    assert messy.labels.filter(
        (pl.col("event_type") == "draught_change") & (pl.col("mmsi") == lab["mmsi"])
        & pl.col("end_time").is_between(lab["start_time"], lab["end_time"])).height == 0


def test_stations_have_their_identity_structure(messy):
    p = messy.positions
    base = _neg(messy, "base_station")["mmsi"]
    aton = _neg(messy, "aid_to_navigation")["mmsi"]
    gear = _neg(messy, "gear_buoy")["mmsi"]
    assert ((base >= 2_000_000) & (base < 8_000_000)).all()  # 00MIDXXXX
    assert (aton // 10_000_000 == 99).all() and (gear // 10_000_000 == 98).all()
    assert (p.filter(pl.col("mmsi").is_in(base.implode()))["msg_type"] == 4).all()
    assert (p.filter(pl.col("mmsi").is_in(aton.implode()))["msg_type"] == 21).all()
    assert messy.reports.filter(pl.col("mmsi").is_in(base.implode())).height == 0
    assert _neg(messy, "base_station")["event_type"].is_null().all()
    stations = pl.concat([base, aton, gear]).implode()
    assert messy.labels.filter(pl.col("mmsi").is_in(stations)).height == 0


def test_unlisted_harbour_moors_boats_together_far_from_listed_ports(messy):
    from sanctionwatch.reference import ReferenceData

    ref = ReferenceData.default()
    neg = _neg(messy, "unlisted_harbour")
    assert set(neg["event_type"]) == {"encounter", "loitering", "port_call"}
    assert set(neg.filter(pl.col("event_type") == "port_call")["expected"]) == {"optional"}
    boats = neg["mmsi"].unique()
    assert boats.len() == 4
    stays = neg.filter(pl.col("event_type") == "encounter")
    assert (stays["end_time"] - stays["start_time"]).min() >= timedelta(hours=14)
    at = messy.positions.join(stays.select("mmsi", "start_time", "end_time"), on="mmsi").filter(
        pl.col("timestamp").is_between("start_time", "end_time"))
    assert at["mmsi"].n_unique() == 4
    lat, lon = at["lat"].to_numpy(), at["lon"].to_numpy()
    assert haversine_m(lat, lon, lat.mean(), lon.mean()).max() < 600
    assert float(ref.distance_to_port_km(lat.mean(), lon.mean())[0]) > 12


def test_sustained_teleport_is_far_never_simultaneous_then_back(messy):
    lab = messy.labels.filter(pl.col("subtype") == "sustained_teleport").row(0, named=True)
    assert lab["event_type"] == "spoofing" and lab["planted"]
    own = messy.positions.filter(pl.col("mmsi") == lab["mmsi"]).sort("timestamp")
    inside = own.filter(pl.col("timestamp").is_between(lab["start_time"], lab["end_time"]))
    assert timedelta(hours=1, minutes=40) <= lab["end_time"] - lab["start_time"] <= timedelta(
        hours=2, minutes=20)
    far = haversine_m(inside["lat"].to_numpy(), inside["lon"].to_numpy(), lab["lat"], lab["lon"])
    assert far.max() < 150_000  # one coherent false track
    before = own.filter(pl.col("timestamp") < lab["start_time"]).tail(1)
    after = own.filter(pl.col("timestamp") > lab["end_time"]).head(1)
    for ref in (before, after):
        d = haversine_m(ref["lat"].to_numpy(), ref["lon"].to_numpy(), inside["lat"].to_numpy(),
                        inside["lon"].to_numpy())
        assert d.min() > 300_000


def test_written_files_carry_the_negatives_and_read_back(tmp_path):
    res = simulate("messy", 2, tmp_path, vessels=30, days=4)
    neg = pl.read_parquet(tmp_path / "negatives.parquet")
    assert dict(neg.schema) == NEGATIVE_SCHEMA and neg.height > 10
    pos = pl.concat([b.positions for b in read_ais(res.files[0])])
    base = neg.filter(pl.col("kind") == "base_station")["mmsi"]
    assert pos.filter(pl.col("mmsi").is_in(base.implode())).height > 100


def test_nmea_base_stations_are_type_4_reports(tmp_path):
    import pyais

    simulate("messy", 4, tmp_path, vessels=20, days=3, fmt="nmea")
    neg = pl.read_parquet(tmp_path / "negatives.parquet")
    base = set(neg.filter(pl.col("kind") == "base_station")["mmsi"].to_list())
    seen = 0
    for line in (tmp_path / "ais.nmea").read_text().splitlines():
        fields = line.split("\\")[-1].split(",")
        if len(fields) < 7 or not fields[0].endswith("VDM") or fields[1] != "1" \
                or fields[5][:1] not in ("1", "4"):  # position reports of types 1 and 4
            continue
        try:
            msg = pyais.decode(fields[0] + "," + ",".join(fields[1:]))
        except Exception:  # the writer's deliberately corrupt lines
            continue
        if msg.mmsi in base:
            assert msg.msg_type == 4 and msg.year >= 2019
            seen += 1
    assert seen > 50
