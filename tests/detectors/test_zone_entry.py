"""Tests of the zone_entry detector on hand-built tracks and square zones."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import polars as pl
import pytest
from shapely import box

from sanctionwatch.detectors.base import registry
from sanctionwatch.detectors.zone_entry import ZoneEntryParams, detect
from sanctionwatch.reference import ReferenceData, Zone
from sanctionwatch.reference.core import ConstantShoreDistance
from sanctionwatch.schema import EVENTS
from tests.factory import T0, detection_input, offset, positions, track

MMSI = 412_000_001
LAT0, LON0 = 39.0, 124.0
# a 0.2 x 0.2 degree square (about 22 x 17 km) with its west edge at LON0
SQUARE = Zone("WEST_SEA_BOX", "Test box, Korea Bay", box(LON0, LAT0 - 0.1, LON0 + 0.2, LAT0 + 0.1),
              source="hand-made test zone", is_dprk=True, kind="sts_area")


def reference(*zones: Zone) -> ReferenceData:
    return ReferenceData(ports=[], shore=ConstantShoreDistance(50.0), zones=list(zones))


def run(*frames: pl.DataFrame, zones: tuple[Zone, ...] = (SQUARE,),
        params: ZoneEntryParams | None = None) -> pl.DataFrame:
    data = detection_input(*frames, reference=reference(*zones))
    return registry()["zone_entry"].run(data, params)


def details(ev: pl.DataFrame, i: int = 0) -> dict[str, object]:
    return dict(json.loads(ev["details"][i]))


def crossing() -> pl.DataFrame:
    """10 kn due east from 10 km west of the box, through it (17 km) and 10 km beyond."""
    lat, lon = offset(LAT0, LON0, 0.0, -10_000.0)
    return track(MMSI, lat, lon, hours=2.5, interval_s=300.0, speed_knots=10.0, course_deg=90.0)


def test_crossing_a_square_zone_is_one_stay_with_entry_and_exit_times() -> None:
    pos = crossing()
    ev = run(pos)
    assert ev.height == 1
    e = ev.row(0, named=True)
    ins = (pos["lon"] > LON0) & (pos["lon"] < LON0 + 0.2)
    first_in = ins.arg_true()[0]
    last_in = ins.arg_true()[-1]
    # true crossing times at 10 kn
    m_per_s = 10 * 1852 / 3600
    east_edge_m = 0.2 * 111_195.0 * math.cos(math.radians(LAT0))
    t_entry = T0 + timedelta(seconds=10_000 / m_per_s)
    t_exit = T0 + timedelta(seconds=(10_000 + east_edge_m) / m_per_s)
    assert e["start_time"] == pos["timestamp"][first_in]
    assert timedelta(0) <= e["start_time"] - t_entry <= timedelta(seconds=300)
    assert e["end_time"] == pos["timestamp"][last_in + 1]
    assert timedelta(0) <= e["end_time"] - t_exit <= timedelta(seconds=300)
    assert e["subtype"] == "stay" and e["zone_id"] == "WEST_SEA_BOX" and e["is_dprk"] is True
    assert e["zone_name"] == "Test box, Korea Bay"
    assert (e["lat"], e["lon"]) == (pos["lat"][first_in], pos["lon"][first_in])
    assert (e["end_lat"], e["end_lon"]) == (pos["lat"][last_in + 1], pos["lon"][last_in + 1])
    span_h = (e["end_time"] - e["start_time"]).total_seconds() / 3600
    assert e["duration_h"] == pytest.approx(span_h)
    assert e["n_positions"] == last_in - first_in + 1
    assert e["median_speed_knots"] == pytest.approx(10.0)
    det = details(ev)
    assert det["started_inside"] is False and det["ended_inside"] is False
    assert det["unobserved_at_entry_h"] == pytest.approx(300 / 3600, abs=1e-4)
    assert det["zone_kind"] == "sts_area" and det["zone_source"] == "hand-made test zone"
    assert len(e["evidence"]) == 3
    assert ev.columns == EVENTS.names


def test_ids_are_deterministic_and_distinct() -> None:
    a = run(crossing())
    assert a["event_id"].to_list() == run(crossing())["event_id"].to_list()


def test_ship_starting_and_ending_inside() -> None:
    pos = track(MMSI, LAT0, LON0 + 0.1, hours=5.0, interval_s=600.0)
    ev = run(pos)
    assert ev.height == 1
    det = details(ev)
    assert det["started_inside"] is True and det["ended_inside"] is True
    assert det["last_seen_outside"] is None and det["unobserved_at_entry_h"] is None
    assert ev["start_time"][0] == T0 and ev["end_time"][0] == pos["timestamp"][-1]
    assert ev["duration_h"][0] == pytest.approx(5.0)


def test_ship_starting_inside_and_leaving() -> None:
    lat, lon = offset(LAT0, LON0 + 0.2, 0.0, -3_000.0)
    pos = track(MMSI, lat, lon, hours=2.0, interval_s=300.0, speed_knots=10.0, course_deg=90.0)
    ev = run(pos)
    assert ev.height == 1
    det = details(ev)
    assert det["started_inside"] is True and det["ended_inside"] is False
    assert ev["start_time"][0] == T0


def test_entry_at_the_end_of_the_data_is_kept() -> None:
    # the last 10 minutes are inside: shorter than min_stay_min, but the data ends there
    lat, lon = offset(LAT0, LON0, 0.0, -9_000.0)
    pos = track(MMSI, lat, lon, hours=0.9, interval_s=300.0, speed_knots=10.0, course_deg=90.0)
    ev = run(pos)
    assert ev.height == 1
    assert details(ev)["ended_inside"] is True


def jitter_rows(n: int, minutes: float, inside_every: int) -> pl.DataFrame:
    """A ship anchored on the west edge: every ``inside_every``-th report falls inside."""
    rows = []
    for i in range(n):
        east = 40.0 if i % inside_every == 0 else -40.0
        la, lo = offset(LAT0, LON0, 0.0, east)
        rows.append({"mmsi": MMSI, "timestamp": T0 + timedelta(minutes=minutes * i), "lat": la,
                     "lon": lo, "sog_knots": 0.0, "source": "test.csv", "record": i + 1})
    return positions(rows)


def test_boundary_jitter_shorter_than_min_stay_is_ignored() -> None:
    # 6 h on the boundary, one report in four (3 min apart) inside; starts and ends outside
    pos = jitter_rows(121, 3.0, 4).with_columns(
        pl.when(pl.col("record").is_in([1, 121])).then(pl.lit(LON0 - 0.01))
        .otherwise(pl.col("lon")).alias("lon")
    )
    assert run(pos).height == 0
    raw = run(pos, params=ZoneEntryParams(min_stay_min=0.0))
    assert raw.height == 29  # reports 4, 8, ..., 116


def test_short_excursion_outside_does_not_split_a_stay() -> None:
    inside_lat, inside_lon = offset(LAT0, LON0, 0.0, 5_000.0)
    stay1 = track(MMSI, inside_lat, inside_lon, hours=3.0, interval_s=300.0)
    hop = track(MMSI, LAT0, LON0 - 0.0005, start=T0 + timedelta(hours=3, minutes=5), hours=0.15,
                interval_s=300.0, first_record=100)
    stay2 = track(MMSI, inside_lat, inside_lon, start=T0 + timedelta(hours=3, minutes=20),
                  hours=3.0, interval_s=300.0, first_record=200)
    out_lat, out_lon = offset(LAT0, LON0, 0.0, -3_000.0)
    leave = track(MMSI, out_lat, out_lon, start=T0 + timedelta(hours=6, minutes=25), hours=1.0,
                  interval_s=300.0, first_record=300)
    ev = run(stay1, hop, stay2, leave)
    assert ev.height == 1
    det = details(ev)
    assert det["n_positions_outside_debounced"] == hop.height
    assert det["started_inside"] is True and det["ended_inside"] is False
    assert ev["end_time"][0] == leave["timestamp"][0]
    # without debouncing: two stays
    assert run(stay1, hop, stay2, leave, params=ZoneEntryParams(min_stay_min=0.0)).height == 2


def test_two_overlapping_zones_give_one_stay_each() -> None:
    other = Zone("EAST_BOX", "Overlapping box", box(LON0 + 0.1, LAT0 - 0.1, LON0 + 0.4, LAT0 + 0.1),
                 source="hand-made test zone")
    lat, lon = offset(LAT0, LON0, 0.0, -10_000.0)
    pos = track(MMSI, lat, lon, hours=4.0, interval_s=300.0, speed_knots=10.0, course_deg=90.0)
    ev = run(pos, zones=(SQUARE, other)).sort("start_time")
    assert ev["zone_id"].to_list() == ["WEST_SEA_BOX", "EAST_BOX"]
    assert ev["is_dprk"].to_list() == [True, False]
    # the stays overlap in time while the ship is in both boxes
    assert ev["start_time"][1] < ev["end_time"][0]
    assert ev["event_id"].n_unique() == 2


def test_two_vessels_and_a_sparse_track() -> None:
    a = crossing()
    # satellite-like: one position inside between two outside, 3 h apart: a real stay
    rows = []
    for i, east in enumerate([-20_000.0, 8_000.0, 40_000.0]):
        la, lo = offset(LAT0, LON0, 0.0, east)
        rows.append({"mmsi": MMSI + 1, "timestamp": T0 + timedelta(hours=3 * i), "lat": la,
                     "lon": lo, "source": "sat.csv", "record": i + 1})
    ev = run(a, positions(rows)).sort("mmsi")
    assert ev["mmsi"].to_list() == [MMSI, MMSI + 1]
    sparse = ev.row(1, named=True)
    assert sparse["n_positions"] == 1 and sparse["duration_h"] == pytest.approx(3.0)
    assert details(ev, 1)["unobserved_at_exit_h"] == pytest.approx(3.0)


def test_no_zones_or_never_inside() -> None:
    assert run(crossing(), zones=()).height == 0
    far = track(MMSI, 10.0, 10.0, hours=2.0)
    assert run(far).height == 0
    data = detection_input(crossing().head(0), reference=reference(SQUARE))
    assert detect(data, ZoneEntryParams()).height == 0


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        ZoneEntryParams(min_stay_min=-1.0)


def test_two_ships_sharing_an_mmsi_get_distinct_ids() -> None:
    big = Zone("BIG", "Big box", box(LON0, LAT0 - 1.0, LON0 + 2.0, LAT0 + 1.0), source="test")
    a = track(MMSI, LAT0, LON0 + 0.5, hours=3.0, interval_s=600.0)
    b = track(MMSI, LAT0, LON0 + 1.5, hours=3.0, interval_s=600.0, first_record=100)
    data = detection_input(a, b, reference=reference(big))
    assert data.tracks["track_id"].n_unique() == 2
    ev = registry()["zone_entry"].run(data)
    assert ev.height == 2 and ev["event_id"].n_unique() == 2


def test_input_order_and_file_split_do_not_change_events() -> None:
    pos = crossing()
    ref = run(pos)
    shuffled = pos.sample(fraction=1.0, shuffle=True, seed=7)
    half = shuffled.height // 2
    assert run(shuffled.slice(half), shuffled.slice(0, half)).equals(ref)


def test_bounding_box_prefilter_matches_the_full_membership_test() -> None:
    import numpy as np
    from shapely import Polygon
    from shapely.geometry import Point

    from sanctionwatch.detectors.zone_entry import _membership

    ring = Point(LON0 + 1, LAT0).buffer(0.3).difference(Point(LON0 + 1, LAT0).buffer(0.1))
    zones = (
        SQUARE,
        Zone("RING", "ring", ring, source="test"),
        Zone("EMPTY", "empty", Polygon(), source="test"),
    )
    rng = np.random.default_rng(0)
    lat = rng.uniform(LAT0 - 0.5, LAT0 + 0.5, 20_000)
    lon = rng.uniform(LON0 - 0.5, LON0 + 1.5, 20_000)
    lat[:3], lon[:3] = LAT0 + 0.1, LON0 + 0.2  # on a box corner
    data = detection_input(track(MMSI, LAT0, LON0, hours=1), reference=reference(*zones))
    full = data.reference.zone_membership(lat, lon)
    idx, inside = _membership(data, lat, lon)
    got = np.zeros_like(full)
    got[idx] = inside
    assert np.array_equal(got, full)
    assert full[:, 0].any() and full[:, 1].any()
