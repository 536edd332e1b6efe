"""spoofing: impossible jumps, one MMSI in two places, positions on land, sustained teleports."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from sanctionwatch.detectors import detectors, spoofing
from sanctionwatch.detectors.base import registry
from sanctionwatch.reference import Port, ReferenceData
from sanctionwatch.schema import EVENTS
from tests.factory import T0, detection_input, positions, track

MMSI = 412_000_001


def _run(
    *frames: pl.DataFrame,
    params: spoofing.Params | None = None,
    reference: ReferenceData | None = None,
    vessel_reports: pl.DataFrame | None = None,
) -> pl.DataFrame:
    data = detection_input(*frames, vessel_reports=vessel_reports, reference=reference)
    return registry()["spoofing"].run(data, params)


def _sub(ev: pl.DataFrame, subtype: str) -> pl.DataFrame:
    return ev.filter(pl.col("subtype") == subtype)


class BoxShore:
    """Shore distance: ``inland_km`` (negative) inside a lat/lon box, 100 km at sea elsewhere."""

    def __init__(self, lat0: float, lat1: float, lon0: float, lon1: float,
                 inland_km: float = -50.0) -> None:
        self.box = (lat0, lat1, lon0, lon1)
        self.inland_km = inland_km

    def distance_km(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
        la = np.asarray(lat, dtype=np.float64)
        lo = np.asarray(lon, dtype=np.float64)
        lat0, lat1, lon0, lon1 = self.box
        inside = (la >= lat0) & (la <= lat1) & (lo >= lon0) & (lo <= lon1)
        return np.where(inside, self.inland_km, 100.0)


def _stray(*frames: pl.DataFrame) -> pl.DataFrame:
    return detectors()["stray_position"].run(detection_input(*frames), None)


def test_single_fix_an_ocean_away_is_a_stray_position_not_spoofing() -> None:
    """One fix no ship could report (here 2,500 km off) is a corrupt record (data quality), as
    read on the real review set (docs/real-review.md, rule F3)."""
    t = track(MMSI, 30.0, 125.0, hours=6, speed_knots=10)
    t = t.with_columns(  # record 19 jumps ~2,500 km north
        pl.when(pl.col("record") == 19).then(pl.col("lat") + 22.5).otherwise(pl.col("lat"))
        .alias("lat")
    )
    assert _run(t).height == 0
    ev = _stray(t)
    assert ev["event_type"].to_list() == ["stray_position"]
    row = ev.row(0, named=True)
    assert row["n_positions"] == 1
    assert row["start_time"] == row["end_time"] == T0 + timedelta(minutes=180)
    assert row["distance_km"] == pytest.approx(2499, abs=10)
    assert row["implied_speed_knots"] > 1000
    # the bad fix with the main-track positions either side of it
    assert row["evidence"] == ["test.csv:18", "test.csv:19", "test.csv:20"]
    assert json.loads(row["details"])["kind"] == "short_track"


def test_single_fix_on_land_is_a_stray_position() -> None:
    ref = ReferenceData(ports=[], shore=BoxShore(39.0, 40.0, 126.0, 127.0))
    t = track(MMSI, 38.5, 126.5, hours=4, speed_knots=1)
    bad = t[10].with_columns(pl.lit(39.5).alias("lat"))  # one fix 110 km north, on land
    frames = pl.concat([t[:10], bad, t[11:]])
    assert _sub(_run(frames, reference=ref), "impossible_speed").height == 0
    data = detection_input(frames, reference=ref)
    assert detectors()["stray_position"].run(data, None).height == 1


def test_single_fix_at_sea_within_reach_is_impossible_speed() -> None:
    """One false fix 500 km off, at sea: a plausible false position, so spoofing."""
    t = track(MMSI, 30.0, 125.0, hours=6, speed_knots=10)
    t = t.with_columns(
        pl.when(pl.col("record") == 19).then(pl.col("lat") + 4.5).otherwise(pl.col("lat"))
        .alias("lat")
    )
    ev = _run(t)
    assert ev["subtype"].to_list() == ["impossible_speed"]
    assert ev["n_positions"].to_list() == [1]
    assert _stray(t).height == 0


def test_two_fixes_off_the_track_are_impossible_speed() -> None:
    t = track(MMSI, 30.0, 125.0, hours=6, speed_knots=10)
    t = t.with_columns(  # records 19 and 20 jump ~500 km north
        pl.when(pl.col("record").is_in([19, 20])).then(pl.col("lat") + 4.5)
        .otherwise(pl.col("lat")).alias("lat")
    )
    ev = _run(t)
    assert ev["subtype"].to_list() == ["impossible_speed"]
    assert ev["n_positions"].to_list() == [2]
    assert _stray(t).height == 0


def test_one_mmsi_used_by_two_ships_at_the_same_time() -> None:
    a = track(MMSI, 30.0, 125.0, hours=6, speed_knots=10, source="a.csv")
    b = track(MMSI, 32.7, 125.0, start=T0 + timedelta(minutes=5), hours=6, speed_knots=10,
              source="b.csv")
    ev = _run(a, b)
    assert ev["subtype"].to_list() == ["simultaneous_positions"]
    row = ev.row(0, named=True)
    assert row["distance_km"] == pytest.approx(300, abs=3)
    assert {e.split(":")[0] for e in row["evidence"]} == {"a.csv", "b.csv"}
    assert row["start_time"] == T0 + timedelta(minutes=5)
    assert row["end_time"] == T0 + timedelta(hours=6)
    assert row["n_positions"] == 72
    assert json.loads(row["details"])["time_difference_s"] == 300


def test_mmsi_reappearing_impossibly_far_away() -> None:
    a = track(MMSI, 20.0, 120.0, hours=2, source="j.csv")
    b = track(MMSI, 30.0, 130.0, start=T0 + timedelta(hours=4), hours=2, source="j.csv",
              first_record=100)
    ev = _run(a, b)
    assert ev["subtype"].to_list() == ["impossible_speed"]
    row = ev.row(0, named=True)
    assert json.loads(row["details"])["kind"] == "track_jump"
    assert row["evidence"] == ["j.csv:13", "j.csv:100"]
    assert row["duration_h"] == pytest.approx(2.0)


def test_position_deep_inland() -> None:
    ref = ReferenceData(ports=[], shore=BoxShore(39.0, 40.0, 126.0, 127.0))
    t = track(MMSI, 38.5, 126.5, hours=10, speed_knots=12)  # ~1.85 deg north in 10 h
    # a long inland run is river or lake traffic by default...
    assert _sub(_run(t, reference=ref), "position_on_land").height == 0
    # ...and reported when every inland run counts
    every_run = spoofing.Params(max_on_land_run_positions=0)
    ev = _sub(_run(t, reference=ref, params=every_run), "position_on_land")
    assert ev.height == 1
    inside = t.filter(pl.col("lat").is_between(39.0, 40.0))
    row = ev.row(0, named=True)
    assert row["n_positions"] == inside.height
    assert row["distance_from_shore_km"] == pytest.approx(-50.0)
    assert row["start_time"] == inside["timestamp"].min()
    assert row["end_time"] == inside["timestamp"].max()


def test_short_excursion_onto_land_of_a_sea_track_is_reported() -> None:
    ref = ReferenceData(ports=[], shore=BoxShore(39.0, 40.0, 126.0, 127.0))
    t = track(MMSI, 38.5, 126.5, hours=4, speed_knots=1)
    bad = t[10].with_columns(pl.lit(39.5).alias("lat"))  # one fix 110 km north, on land
    ev = _sub(_run(pl.concat([t[:10], bad, t[11:]]), reference=ref), "position_on_land")
    assert ev.height == 1
    assert ev["n_positions"].to_list() == [1]


def test_track_that_stays_inland_is_river_traffic_not_spoofing() -> None:
    ref = ReferenceData(ports=[], shore=BoxShore(39.0, 40.0, 126.0, 127.0))
    t = track(MMSI, 39.2, 126.5, hours=3, speed_knots=6)
    assert _sub(_run(t, reference=ref), "position_on_land").height == 0


def test_inland_near_a_port_or_barely_inland_is_not_reported() -> None:
    t = track(MMSI, 39.5, 126.5, hours=2)
    port = Port("RIVER PORT", "PRK", 39.5, 126.5)
    near_port = ReferenceData(ports=[port], shore=BoxShore(39.0, 40.0, 126.0, 127.0))
    assert _sub(_run(t, reference=near_port), "position_on_land").height == 0
    coarse = ReferenceData(ports=[], shore=BoxShore(39.0, 40.0, 126.0, 127.0, inland_km=-2.0))
    assert _sub(_run(t, reference=coarse), "position_on_land").height == 0


def _teleport(away_h: float = 2.0, away_lat: float = 33.0) -> list[pl.DataFrame]:
    """MMSI at (30, 125) for 2 h, reporting from ``away_lat`` for ``away_h`` hours (never at
    the same time as its true track), then back at (30, 125) for 2 h."""
    back = T0 + timedelta(hours=2, minutes=10 + away_h * 60 + 10)
    return [track(MMSI, 30.0, 125.0, hours=2, source="t.csv"),
            track(MMSI, away_lat, 125.0, start=T0 + timedelta(hours=2, minutes=10),
                  hours=away_h, source="t.csv", first_record=100),
            track(MMSI, 30.0, 125.0, start=back, hours=2, source="t.csv", first_record=200)]


def test_sustained_teleport_found() -> None:
    ev = _run(*_teleport())
    tele = _sub(ev, "sustained_teleport")
    assert tele.height == 1
    row = tele.row(0, named=True)
    assert row["start_time"] == T0 + timedelta(hours=2, minutes=10)
    assert row["end_time"] == T0 + timedelta(hours=4, minutes=10)
    assert (round(row["lat"], 3), round(row["end_lat"], 3)) == (33.0, 30.0)
    assert row["distance_km"] == pytest.approx(333.6, abs=1)
    assert row["n_positions"] == 13
    # the true track's last position before, the false ones, its first after
    assert row["evidence"][0] == "t.csv:13" and row["evidence"][-1] == "t.csv:200"
    assert "t.csv:100" in row["evidence"]
    d = json.loads(row["details"])
    assert d["hours_away"] == pytest.approx(2.0)
    assert d["back_on_true_track_at"] == "2019-03-01T04:20:00Z"
    # nothing else is made of it: no simultaneous positions, no jump
    assert set(ev["subtype"]) == {"sustained_teleport"}


def test_sustained_teleport_thresholds() -> None:
    assert _sub(_run(*_teleport(away_h=0.5)), "sustained_teleport").height == 0  # < 1 h
    near = _run(*_teleport(away_lat=30.5))  # 56 km away: impossible, but not 100 km
    assert _sub(near, "sustained_teleport").height == 0
    loose = spoofing.Params(min_teleport_km=50.0)
    assert _sub(_run(*_teleport(away_lat=30.5), params=loose), "sustained_teleport").height == 1


def test_shared_mmsi_is_not_a_teleport() -> None:
    # two ships on one MMSI, 330 km apart, both reporting all the time (interleaved)
    a = track(MMSI, 30.0, 125.0, hours=6, source="a.csv")
    b = track(MMSI, 33.0, 125.0, start=T0 + timedelta(hours=2, minutes=5), hours=2,
              source="b.csv")
    ev = _run(a, b)
    assert _sub(ev, "sustained_teleport").height == 0
    assert _sub(ev, "simultaneous_positions").height == 1


def test_stale_midnight_record_is_no_jump() -> None:
    # T0 is midnight: two positions stamped 00:00:00-00:00:01, 200 km from where the ship is
    # a minute later
    t = track(MMSI, 30.0, 125.0, start=T0 + timedelta(minutes=1), hours=2, source="d.csv")
    stale = positions([{"mmsi": MMSI, "timestamp": T0 + timedelta(seconds=s), "lat": 31.8,
                        "lon": 125.0, "source": "d.csv", "record": 998 + s} for s in (0, 1)])
    assert _run(t, stale).height == 0
    kept = spoofing.Params(stale_day_start_window_s=0.0)
    assert _sub(_run(t, stale, params=kept), "impossible_speed").height == 1
    # the same jump half an hour later is the ship's
    late = stale.with_columns(pl.col("timestamp") + timedelta(minutes=30, seconds=5))
    assert _sub(_run(t, late), "impossible_speed").height == 1


def test_clean_data_has_no_events_and_output_conforms() -> None:
    assert _run(track(MMSI, 30.0, 125.0, hours=6, speed_knots=12)).height == 0
    data = detection_input(
        track(0, 30.0, 126.5, hours=1),  # not a ship: never reaches the detector
        track(MMSI, 30.0, 125.0, hours=6, speed_knots=10, source="a.csv"),
        track(MMSI, 32.7, 125.0, hours=6, speed_knots=10, source="b.csv"),
    )
    ev = spoofing.detect(data, spoofing.Params())
    assert set(ev.columns) <= set(EVENTS.names)
    again = spoofing.detect(data, spoofing.Params())
    assert ev["event_id"].to_list() == again["event_id"].to_list()
    assert ev["event_id"].n_unique() == ev.height
