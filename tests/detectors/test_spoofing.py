"""spoofing: impossible jumps, one MMSI in two places, positions on land, bad identifiers."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from sanctionwatch.detectors import spoofing
from sanctionwatch.detectors.base import registry
from sanctionwatch.reference import Port, ReferenceData
from sanctionwatch.schema import EVENTS
from tests.factory import T0, detection_input, positions, reports, track

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


def test_single_corrupt_position_mid_track() -> None:
    t = track(MMSI, 30.0, 125.0, hours=6, speed_knots=10)
    t = t.with_columns(  # record 19 jumps ~500 km north
        pl.when(pl.col("record") == 19).then(pl.col("lat") + 4.5).otherwise(pl.col("lat"))
        .alias("lat")
    )
    ev = _run(t)
    assert ev["subtype"].to_list() == ["impossible_speed"]
    row = ev.row(0, named=True)
    assert row["n_positions"] == 1
    assert row["start_time"] == row["end_time"] == T0 + timedelta(minutes=180)
    assert row["distance_km"] == pytest.approx(497, abs=5)
    assert row["implied_speed_knots"] > 1000
    # the bad fix with the main-track positions either side of it
    assert row["evidence"] == ["test.csv:18", "test.csv:19", "test.csv:20"]
    assert json.loads(row["details"])["kind"] == "short_track"


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


def test_invalid_mmsis() -> None:
    frames = [
        track(123_456_789, 30.0, 126.0, hours=1),
        track(0, 30.0, 126.5, hours=1),
        track(111_111_111, 30.0, 127.0, hours=1),
        track(MMSI, 30.0, 127.5, hours=1),
        track(992_351_234, 30.0, 128.0, hours=1),  # UK aid to navigation: valid
    ]
    ev = _sub(_run(*frames), "invalid_mmsi")
    reasons = {r["mmsi"]: json.loads(r["details"])["reason"] for r in ev.iter_rows(named=True)}
    assert reasons == {
        0: "zero",
        111_111_111: "unallocated_mid",
        123_456_789: "not_a_station_format",
    }
    zero = ev.filter(pl.col("mmsi") == 0).row(0, named=True)
    assert zero["start_time"] == T0 and zero["end_time"] == T0 + timedelta(hours=1)
    assert zero["n_positions"] == 7
    assert zero["evidence"] == ["test.csv:1", "test.csv:7"]


def test_mmsi_problem_vectorised() -> None:
    got = spoofing.mmsi_problem([0, 12345, 123456789, 111111111, 445000001, 200000001,
                                 970123456, 1_000_000_000])
    assert got.tolist() == ["zero", "fewer_than_9_digits", "not_a_station_format",
                            "unallocated_mid", "", "unallocated_mid", "",
                            "more_than_9_digits"]


def test_invalid_imo() -> None:
    rep = reports([
        {"mmsi": MMSI, "timestamp": T0, "imo": 1234568},  # check digit should be 7
        {"mmsi": MMSI, "timestamp": T0 + timedelta(hours=1), "imo": 1234568},
        {"mmsi": MMSI, "timestamp": T0 + timedelta(hours=2), "imo": 9074729},  # valid
        {"mmsi": MMSI + 1, "timestamp": T0, "imo": 1234567},  # placeholder, passes the check
        {"mmsi": MMSI + 2, "timestamp": T0, "imo": 0},  # not available
    ])
    ev = _sub(_run(track(MMSI, 30.0, 125.0, hours=3), vessel_reports=rep), "invalid_imo")
    got = {(r["mmsi"], r["new_value"]): r for r in ev.iter_rows(named=True)}
    assert set(got) == {(MMSI, "1234568"), (MMSI + 1, "1234567")}
    bad = got[(MMSI, "1234568")]
    assert bad["evidence"] == ["test.csv:1", "test.csv:2"]
    assert bad["end_time"] == T0 + timedelta(hours=1)
    assert (bad["lat"], bad["lon"]) == (30.0, 125.0)
    assert json.loads(bad["details"])["reason"] == "check_digit"
    placeholder = got[(MMSI + 1, "1234567")]
    assert json.loads(placeholder["details"])["reason"] == "placeholder"
    assert np.isnan(placeholder["lat"])  # this MMSI sent no position


def test_removed_sentinel_positions() -> None:
    sentinels = positions([
        {"mmsi": MMSI, "timestamp": T0 + timedelta(minutes=5), "lat": 0.0, "lon": 0.0,
         "source": "s.csv", "record": 1},
        {"mmsi": MMSI, "timestamp": T0 + timedelta(minutes=15), "lat": 91.0, "lon": 181.0,
         "source": "s.csv", "record": 2},
    ])
    ev = _sub(_run(track(MMSI, 30.0, 125.0, hours=1), sentinels), "invalid_position")
    assert ev.height == 1
    row = ev.row(0, named=True)
    assert json.loads(row["details"])["reason"] == "null_island"
    assert row["evidence"] == ["s.csv:1"]
    assert (row["lat"], row["lon"]) == (30.0, 125.0)  # where the ship really was
    off = spoofing.Params(removed_positions=False)
    assert _sub(_run(track(MMSI, 30.0, 125.0, hours=1), sentinels, params=off),
                "invalid_position").height == 0


def test_clean_data_has_no_events_and_output_conforms() -> None:
    assert _run(track(MMSI, 30.0, 125.0, hours=6, speed_knots=12)).height == 0
    data = detection_input(
        track(0, 30.0, 126.5, hours=1),
        track(MMSI, 30.0, 125.0, hours=6, speed_knots=10, source="a.csv"),
        track(MMSI, 32.7, 125.0, hours=6, speed_knots=10, source="b.csv"),
    )
    ev = spoofing.detect(data, spoofing.Params())
    assert set(ev.columns) <= set(EVENTS.names)
    again = spoofing.detect(data, spoofing.Params())
    assert ev["event_id"].to_list() == again["event_id"].to_list()
    assert ev["event_id"].n_unique() == ev.height


def test_invalid_mmsi_shared_by_many_craft_is_reported_once() -> None:
    craft = [track(0, 30.0 + 3 * i, 125.0, hours=2, source=f"c{i}.csv") for i in range(4)]
    ev = _run(*craft)
    assert ev["subtype"].to_list() == ["invalid_mmsi"]
    assert json.loads(ev["details"][0])["n_tracks"] == 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_candidate_positions_give_the_same_nearest_positions(seed: int) -> None:
    from sanctionwatch.detectors.common import nearest_position

    rng = np.random.default_rng(seed)
    n = 4000
    track_id = np.sort(rng.integers(0, 60, n))
    mmsi = 200_000_000 + track_id // 2 * (track_id % 7 != 0)  # some MMSIs have two tracks
    us = np.cumsum(rng.integers(1, 600, n)) * 1_000_000
    if seed == 2:  # one MMSI heard at one instant on two tracks: the full frame is kept
        k = min((track_id == 0).sum(), (track_id == 1).sum())
        us[np.flatnonzero(track_id == 1)[:k]] = us[track_id == 0][:k]
    t = pl.DataFrame({
        "mmsi": mmsi,
        "timestamp": pl.Series(us).cast(pl.Datetime("us", "UTC")),
        "lat": rng.uniform(-60, 60, n),
        "lon": rng.uniform(-180, 180, n),
        "track_id": track_id,
    }).sort("track_id", "timestamp")
    picks = rng.integers(0, n, 300)
    ev_us = np.r_[us[picks], us[picks] + rng.integers(-900, 900, 300) * 1_000_000, 0, us.max() * 2]
    events = pl.DataFrame({
        "mmsi": np.r_[mmsi[picks], mmsi[picks], mmsi[0], 999_999_999],
        "start_time": pl.Series(ev_us).cast(pl.Datetime("us", "UTC")),
    })
    cand = spoofing._candidate_positions(t, events)
    assert cand.height < t.height or seed == 2
    got = nearest_position(events, cand, time_col="start_time", offset_col="_off")
    want = nearest_position(events, t, time_col="start_time", offset_col="_off")
    assert got.equals(want)
