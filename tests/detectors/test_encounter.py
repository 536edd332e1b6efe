"""Encounter detector: GFW definition (DETECTION.md §1.1) on hand-built Yellow Sea scenarios."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctionwatch.detectors.base import DetectionInput, registry
from sanctionwatch.detectors.encounter import EncounterParams, detect
from sanctionwatch.reference import Port
from sanctionwatch.schema import EVENTS, VESSEL_REPORTS
from tests.factory import T0, detection_input, offset, open_sea_reference, positions, track

LAT, LON = 37.5, 124.0  # Yellow Sea, west of Nampo
TANKER_A, TANKER_B = 412000001, 636000002
KN = 1852 / 3600  # metres per second in a knot


def path(
    mmsi: int,
    times: Sequence[datetime],
    where: Callable[[float], tuple[float, float]],
    *,
    source: str = "test.csv",
    first_record: int = 1,
) -> pl.DataFrame:
    """Positions at ``times``; ``where(hours since T0)`` gives metres (north, east) of LAT, LON."""
    rows = []
    for i, t in enumerate(times):
        north, east = where((t - T0).total_seconds() / 3600)
        la, lo = offset(LAT, LON, north, east)
        rows.append({"mmsi": mmsi, "timestamp": t, "lat": la, "lon": lo, "source": source,
                     "record": first_record + i})
    return positions(rows)


def every(minutes: float, hours: float, start: datetime = T0) -> list[datetime]:
    n = int(hours * 60 / minutes) + 1
    return [start + timedelta(minutes=minutes * i) for i in range(n)]


def irregular(seed: int, hours: float, lo_min: float = 20, hi_min: float = 70) -> list[datetime]:
    rng = random.Random(seed)
    t, out = rng.uniform(0, lo_min), []
    while t <= hours * 60:
        out.append(T0 + timedelta(minutes=t))
        t += rng.uniform(lo_min, hi_min)
    return out


def drifting(north_m: float = 0.0, knots: float = 0.5) -> Callable[[float], tuple[float, float]]:
    """Drift east at ``knots``, ``north_m`` north of the reference line."""
    return lambda h: (north_m, knots * KN * h * 3600)


def run(*frames: pl.DataFrame, reference=None, **params) -> pl.DataFrame:
    return detect(detection_input(*frames, reference=reference), EncounterParams(**params))


def alongside(hours: float = 5.0, **kw) -> tuple[pl.DataFrame, pl.DataFrame]:
    a = path(TANKER_A, every(2, hours), drifting(0), **kw)
    b = path(TANKER_B, every(3, hours), drifting(100), source="b.csv")
    return a, b


# --- positives ---------------------------------------------------------------------------


def test_two_tankers_alongside_drifting_is_one_encounter():
    a, b = alongside()
    out = run(a, b)
    assert out.height == 1
    e = out.row(0, named=True)
    assert e["event_type"] == "encounter"
    assert (e["mmsi"], e["other_mmsi"]) == (TANKER_A, TANKER_B)
    assert e["start_time"] == T0 and e["end_time"] == T0 + timedelta(hours=5)
    assert e["duration_h"] == pytest.approx(5.0)
    assert e["median_distance_m"] == pytest.approx(100, abs=2)
    assert e["median_speed_knots"] == pytest.approx(0.5, abs=0.05)
    assert e["distance_from_shore_km"] == 100
    assert e["n_positions"] == a.height + b.height
    assert e["evidence"] == ["test.csv:1", f"test.csv:{a.height}", "b.csv:1", f"b.csv:{b.height}"]
    la, lo = offset(LAT, LON, 50, 0.5 * KN * 2.5 * 3600)
    assert e["lat"] == pytest.approx(la, abs=1e-4) and e["lon"] == pytest.approx(lo, abs=1e-4)
    d = json.loads(e["details"])
    assert d["track_id"] // 1000 == TANKER_A and d["other_track_id"] // 1000 == TANKER_B
    assert d["real_share"] == 1.0 and d["min_distance_m"] == pytest.approx(100, abs=2)
    assert list(d) == sorted(d)
    assert set(out.columns) <= set(EVENTS.names)


def test_registered_and_conforms_to_events():
    a, b = alongside()
    det = registry()["encounter"]
    assert det.params_type is EncounterParams
    out = det.run(detection_input(a, b))
    assert out.columns == EVENTS.names and out.height == 1


def test_sparse_irregular_satellite_reporting_still_yields_the_encounter():
    a = path(TANKER_A, irregular(1, 5), drifting(0))
    b = path(TANKER_B, irregular(2, 5), drifting(100), source="b.csv")
    assert a["timestamp"].diff().max() > timedelta(hours=1)
    out = run(a, b)
    assert out.height == 1
    e = out.row(0, named=True)
    # the whole time both are seen, give or take half a grid step at each end
    seen_from = max(a["timestamp"].min(), b["timestamp"].min())
    seen_to = min(a["timestamp"].max(), b["timestamp"].max())
    assert abs(e["start_time"] - seen_from) <= timedelta(minutes=5)
    assert abs(e["end_time"] - seen_to) <= timedelta(minutes=5)
    assert a.height + b.height - 4 <= e["n_positions"] <= a.height + b.height
    d = json.loads(e["details"])
    assert 0.1 <= d["real_share"] < 0.5 and 0.1 <= d["other_real_share"] < 0.5
    # GFW's one-hour interpolation limit loses it
    assert run(a, b, max_interpolation_gap_h=1.0).height == 0


def test_encounter_across_midnight_from_two_files_is_one_event():
    start = T0 + timedelta(hours=22)
    midnight = T0 + timedelta(days=1)
    frames = []
    for mmsi, north, minutes in ((TANKER_A, 0, 2), (TANKER_B, 100, 5)):
        times = every(minutes, 5, start)
        before = [t for t in times if t < midnight]
        after = [t for t in times if t >= midnight]
        frames.append(path(mmsi, before, drifting(north), source="2019-03-01.csv"))
        frames.append(path(mmsi, after, drifting(north), source="2019-03-02.csv"))
    out = run(*frames)
    assert out.height == 1
    e = out.row(0, named=True)
    assert e["start_time"] == start and e["end_time"] == start + timedelta(hours=5)
    assert {s.split(":")[0] for s in e["evidence"]} == {"2019-03-01.csv", "2019-03-02.csv"}


def _apart_between(h0: float, h1: float) -> Callable[[float], tuple[float, float]]:
    """Alongside (100 m) except between h0 and h1 h, when it moves 3 km off and comes back."""

    def where(h: float) -> tuple[float, float]:
        ramp = 0.5
        if h <= h0 or h >= h1:
            north = 100.0
        elif h < h0 + ramp:
            north = 100 + 2900 * (h - h0) / ramp
        elif h > h1 - ramp:
            north = 100 + 2900 * (h1 - h) / ramp
        else:
            north = 3000.0
        return north, 0.5 * KN * h * 3600

    return where


def test_two_runs_two_hours_apart_are_merged():
    a = path(TANKER_A, every(2, 5), drifting(0))
    b = path(TANKER_B, every(2, 5), _apart_between(1.5, 3.5), source="b.csv")
    out = run(a, b)
    assert out.height == 1
    e = out.row(0, named=True)
    assert e["duration_h"] == pytest.approx(5.0)
    assert json.loads(e["details"])["merged_runs"] == 2
    # each run alone (about 1.6 h) is shorter than the 2 h minimum
    assert run(a, b, merge_gap_h=1.0).height == 0


def test_partner_dark_for_two_hours_mid_encounter_is_merged():
    a = path(TANKER_A, every(2, 5), drifting(0))
    dark_from, dark_to = T0 + timedelta(hours=1.5), T0 + timedelta(hours=3.5)
    b_times = [t for t in every(2, 5) if not dark_from < t < dark_to]
    b = path(TANKER_B, b_times, drifting(100), source="b.csv")
    out = run(a, b)
    assert out.height == 1
    d = json.loads(out["details"][0])
    assert d["merged_runs"] == 2 and d["other_real_share"] < 0.7


def test_encounter_on_the_dateline():
    rows = []
    for mmsi, north in ((TANKER_A, 0.0), (TANKER_B, 100.0)):
        for i, t in enumerate(every(5, 4)):
            east = 0.5 * KN * (t - T0).total_seconds() - 1500
            la = 40.0 + north / 111_195
            lo = 180.0 + east / (111_195 * math.cos(math.radians(la)))
            lo = lo - 360 if lo > 180 else lo
            rows.append({"mmsi": mmsi, "timestamp": t, "lat": la, "lon": lo,
                         "source": "x.csv", "record": i + 1})
    out = detect(detection_input(positions(rows)), EncounterParams())
    assert out.height == 1
    assert abs(out["lon"][0]) > 179.99


# --- hard negatives --------------------------------------------------------------------------


def test_crossing_traffic_passing_within_100_m_is_not_an_encounter():
    v = 12 * KN * 3600  # metres per hour
    a = path(TANKER_A, every(1, 6), lambda h: (0.0, v * (h - 3)))
    b = path(TANKER_B, every(1, 6), lambda h: (v * (h - 3) + 100, 0.0), source="b.csv")
    assert run(a, b).height == 0


def test_convoy_at_12_knots_100_m_apart_is_too_fast():
    a = path(TANKER_A, every(1, 5), drifting(0, knots=12))
    b = path(TANKER_B, every(1, 5), drifting(100, knots=12), source="b.csv")
    assert run(a, b).height == 0
    assert run(a, b, max_median_speed_knots=20).height == 1  # only the speed rule rejects it


def test_vessels_moored_together_in_harbour_are_not_an_encounter():
    a = track(TANKER_A, LAT, LON, hours=10, interval_s=180)
    la, lo = offset(LAT, LON, 60, 0)
    b = track(TANKER_B, la, lo, hours=10, interval_s=180, source="b.csv")
    pla, plo = offset(LAT, LON, 1500, 800)
    harbour = open_sea_reference(ports=[Port("Nampo", "PRK", pla, plo)])
    assert run(a, b, reference=harbour).height == 0
    assert run(a, b).height == 1  # the same pair at sea is one


def test_inland_positions_are_not_an_encounter():
    a, b = alongside()
    assert run(a, b, reference=open_sea_reference(shore_km=-1.0)).height == 0


def test_pilot_boat_alongside_for_20_minutes_is_not_an_encounter():
    a = path(TANKER_A, every(2, 6), drifting(0))
    pilot = path(TANKER_B, every(1, 0.34, T0 + timedelta(hours=3)), drifting(30), source="b.csv")
    assert run(a, pilot).height == 0


@pytest.mark.parametrize(("hours", "found"), [(1.5, 0), (2.5, 1)])
def test_close_for_only_one_and_a_half_hours_is_too_short(hours, found):
    a = path(TANKER_A, every(2, 6), drifting(0))
    b = path(TANKER_B, every(2, hours, T0 + timedelta(hours=2)), drifting(100), source="b.csv")
    assert run(a, b).height == found


def test_no_proximity_is_invented_across_a_five_hour_dark_gap():
    def seen(start_h: float) -> list[datetime]:
        return every(5, 0.34, T0 + timedelta(hours=start_h))

    a = path(TANKER_A, seen(0) + seen(5.5), drifting(0, knots=0.1))
    b = path(TANKER_B, seen(0) + seen(5.5), drifting(100, knots=0.1), source="b.csv")
    assert run(a, b).height == 0
    # only the gap rule keeps it out: bridging 6 h gaps would report a 5.8 h "encounter"
    assert run(a, b, max_interpolation_gap_h=6.0).height == 1


def test_two_tracks_of_the_same_mmsi_are_not_an_encounter():
    a, b = alongside()
    b = b.with_columns(pl.lit(TANKER_A, dtype=pl.Int64).alias("mmsi"))
    # two ships 100 m apart broadcasting one MMSI: give them separate tracks as the segmenter
    # does for clones it can tell apart
    tracks = pl.concat([
        a.with_columns(pl.lit(TANKER_A * 1000, dtype=pl.Int64).alias("track_id")),
        b.with_columns(pl.lit(TANKER_A * 1000 + 1, dtype=pl.Int64).alias("track_id")),
    ]).sort("track_id", "timestamp")
    data = DetectionInput(tracks=tracks, reports=VESSEL_REPORTS.empty(),
                          reference=open_sea_reference())
    assert detect(data, EncounterParams()).height == 0


def test_no_tracks_no_events():
    a, _ = alongside()
    assert detect(detection_input(a), EncounterParams()).height == 0
    assert registry()["encounter"].run(detection_input(a)).columns == EVENTS.names


# --- properties --------------------------------------------------------------------------


def test_symmetric_in_input_order_and_in_vessel_roles():
    a, b = alongside()
    ids = run(a, b)["event_id"].to_list()
    assert run(b, a)["event_id"].to_list() == ids
    swapped_a = a.with_columns(pl.lit(TANKER_B, dtype=pl.Int64).alias("mmsi"))
    swapped_b = b.with_columns(pl.lit(TANKER_A, dtype=pl.Int64).alias("mmsi"))
    assert run(swapped_b, swapped_a)["event_id"].to_list() == ids


def test_deterministic():
    a = path(TANKER_A, irregular(3, 8), drifting(0))
    b = path(TANKER_B, irregular(4, 8), drifting(150), source="b.csv")
    first = run(a, b)
    assert first.height == 1
    assert run(a, b).equals(first)


def test_params_are_validated():
    with pytest.raises(ValueError):
        EncounterParams(max_interpolation_gap_h=0.1)
    with pytest.raises(ValueError):
        EncounterParams(min_real_share=1.5)
    with pytest.raises(ValueError):
        EncounterParams(max_distance_m=-1)


@settings(max_examples=25, deadline=None)
@given(
    distance_m=st.floats(10, 450),
    knots=st.floats(0, 1.5),
    course=st.floats(0, 359),
    hours=st.floats(3, 8),
    start_min=st.integers(0, 3 * 24 * 60),
    seed=st.integers(0, 10_000),
)
def test_property_slow_close_pair_is_one_symmetric_encounter(
    distance_m, knots, course, hours, start_min, seed
):
    rng = random.Random(seed)
    start = T0 + timedelta(minutes=start_min)
    v = knots * KN * 3600
    c, s = math.cos(math.radians(course)), math.sin(math.radians(course))

    def times() -> list[datetime]:
        t, out = rng.uniform(0, 5), []
        while t <= hours * 60:
            out.append(start + timedelta(minutes=t))
            t += rng.uniform(1, 30)
        return out

    def where(side: float) -> Callable[[float], tuple[float, float]]:
        return lambda h: (v * h * c + side * distance_m, v * h * s)

    a = path(TANKER_A, times(), where(0))
    b = path(TANKER_B, times(), where(1), source="b.csv")
    out = run(a, b)
    assert out.height == 1
    e = out.row(0, named=True)
    assert e["mmsi"] < e["other_mmsi"]
    assert e["duration_h"] >= 2.0
    assert e["median_distance_m"] <= 500
    assert e["start_time"] <= e["end_time"]
    assert run(b, a)["event_id"].to_list() == out["event_id"].to_list()


def test_clones_of_one_mmsi_meeting_one_vessel_get_distinct_ids():
    a, b = alongside()
    clone = path(TANKER_A, every(2, 5), drifting(200), first_record=500)
    tracks = pl.concat([
        a.with_columns(pl.lit(TANKER_A * 1000, dtype=pl.Int64).alias("track_id")),
        clone.with_columns(pl.lit(TANKER_A * 1000 + 1, dtype=pl.Int64).alias("track_id")),
        b.with_columns(pl.lit(TANKER_B * 1000, dtype=pl.Int64).alias("track_id")),
    ]).sort("track_id", "timestamp")
    data = DetectionInput(tracks=tracks, reports=VESSEL_REPORTS.empty(),
                          reference=open_sea_reference())
    out = detect(data, EncounterParams())
    assert out.height == 2 and out["event_id"].n_unique() == 2
    assert out["start_time"].n_unique() == 1


def test_resampled_grid_is_absolute_and_marks_real_support():
    from sanctionwatch.tracks.resample import resample_tracks

    times = [T0 + timedelta(minutes=m) for m in (3, 27, 61, 240, 247)]
    data = detection_input(path(TANKER_A, times, drifting(0)))
    grid = resample_tracks(data.tracks, interval_min=10, max_gap_h=1.5)
    minutes = [(t - T0).total_seconds() / 60 for t in grid["timestamp"]]
    # 00:00-01:00 from the first three positions, then nothing across the 3 h gap
    assert minutes == [0, 10, 20, 30, 40, 50, 60, 240, 250]
    assert grid["real"].to_list() == [True, False, False, True, False, False, True, True, True]
    assert grid["seg"].n_unique() == 2


def _brute_close_pairs(grid: pl.DataFrame, max_m: float) -> set[tuple[int, int]]:
    from sanctionwatch.geo import haversine_m

    rows = grid.with_row_index("i").rows(named=True)
    out = set()
    for x in rows:
        for y in rows:
            if x["k"] == y["k"] and x["mmsi"] < y["mmsi"] and haversine_m(
                x["lat"], x["lon"], y["lat"], y["lon"]
            ) <= max_m:
                out.add((x["i"], y["i"]))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_close_pairs_are_exactly_the_pairs_within_the_distance_at_one_grid_time(seed):
    from sanctionwatch.detectors.encounter import close_pairs

    rng = random.Random(seed)
    centres = [(37.5, 124.0), (0.0, 179.9995), (89.9, 10.0), (-33.9, 18.4)]  # dateline, pole
    rows = []
    for _ in range(400):
        la, lo = rng.choice(centres)
        la, lo = offset(la, lo, rng.uniform(-900, 900), rng.uniform(-900, 900)) if la < 89 else (
            la + rng.uniform(-0.005, 0.005), lo + rng.uniform(-40, 40))
        rows.append({"k": rng.choice([5, 6, 9]), "mmsi": rng.randrange(40),
                     "lat": la, "lon": (lo + 180) % 360 - 180})
    # unsorted by k on purpose: the pairing must not rely on the order of the rows
    grid = pl.DataFrame(rows, schema={"k": pl.Int64, "mmsi": pl.Int64, "lat": pl.Float64,
                                      "lon": pl.Float64})
    a, b = close_pairs(grid, 500.0)
    found = set(zip(a.tolist(), b.tolist(), strict=True))
    assert len(found) == a.size  # no pair twice
    expected = _brute_close_pairs(grid, 500.0)
    assert len(expected) > 50
    assert found == expected


def test_candidate_pairs_keep_ships_alongside_and_drop_ships_that_only_cross():
    from sanctionwatch.detectors.encounter import candidate_pairs, close_pairs, encounter_sample

    p = EncounterParams()
    v = 12 * KN * 3600
    # the crossing ship passes 50 m from tanker A exactly at a sampled grid time
    k_t0 = int(T0.timestamp()) // 600
    h_c = ((-k_t0) % 7 + 14) / 6
    east_c = 0.5 * KN * 3600 * h_c
    crossing = path(447000003, every(1, 6), lambda h: (v * (h - h_c) + 50, east_c),
                    source="c.csv")
    data = detection_input(*alongside(), crossing, reference=open_sea_reference())
    sample = encounter_sample(data.grid(p.resample_interval_min, p.max_interpolation_gap_h),
                              data.reference, p)
    assert set(sample["k"].to_list()) and all(k % 7 == 0 for k in sample["k"].to_list())
    a, b = candidate_pairs(sample, p)
    mmsi = sample["mmsi"]
    pairs = set(zip(mmsi.gather(a).to_list(), mmsi.gather(b).to_list(), strict=True))
    # close at the sampled times and over a whole hour around them; the crossing ship is
    # within 500 m of each for a few minutes only
    assert pairs == {(TANKER_A, TANKER_B)}
    # ... and it is within 500 m of them at a sampled time, so only the window test drops it
    close_a, close_b = close_pairs(sample, p.max_distance_m)
    assert 447000003 in set(mmsi.gather(close_a).to_list()) | set(mmsi.gather(close_b).to_list())
