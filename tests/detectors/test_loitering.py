"""Loitering detector: GFW definition (DETECTION.md §1.2) on hand-built Yellow Sea tracks."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import timedelta

import polars as pl
import pytest

from sanctionwatch.detectors.base import registry
from sanctionwatch.detectors.loitering import LoiteringParams, detect
from sanctionwatch.reference import Port
from sanctionwatch.schema import EVENTS
from tests.factory import T0, detection_input, offset, open_sea_reference, track

LAT, LON = 37.5, 124.0
TANKER = 412000001


def run(*frames: pl.DataFrame, reference=None, **params) -> pl.DataFrame:
    return detect(detection_input(*frames, reference=reference), LoiteringParams(**params))


def drift(hours: float = 6.0, **kw) -> pl.DataFrame:
    return track(TANKER, LAT, LON, hours=hours, speed_knots=0.5, course_deg=60, interval_s=60, **kw)


def test_six_hour_drift_at_sea_is_loitering():
    t = drift()
    out = run(t)
    assert out.height == 1
    e = out.row(0, named=True)
    assert e["event_type"] == "loitering" and e["mmsi"] == TANKER
    assert (e["start_time"], e["end_time"]) == (T0, T0 + timedelta(hours=6))
    assert e["duration_h"] == pytest.approx(6.0)
    assert e["median_speed_knots"] == pytest.approx(0.5, abs=0.02)
    assert e["distance_from_shore_km"] == 100
    assert e["distance_to_port_km"] is None  # no port loaded at all
    assert e["n_positions"] == t.height
    assert e["evidence"] == ["test.csv:1", f"test.csv:{t.height}"]
    la, lo = offset(LAT, LON, 0.5 * 1852 * 3 * 0.5, 0.5 * 1852 * 3 * 0.866)
    assert e["lat"] == pytest.approx(la, abs=2e-4) and e["lon"] == pytest.approx(lo, abs=2e-4)
    d = json.loads(e["details"])
    assert d["track_id"] == TANKER * 1000 and d["mean_speed_knots"] == pytest.approx(0.5, abs=0.02)
    assert d["radius_m"] == pytest.approx(0.5 * 1852 * 3, rel=0.02)
    assert set(out.columns) <= set(EVENTS.names)


def test_registered_and_conforms_to_events():
    det = registry()["loitering"]
    out = det.run(detection_input(drift()))
    assert out.columns == EVENTS.names and out.height == 1


def test_drift_across_midnight_from_two_files_is_one_event():
    start = T0 + timedelta(hours=21)
    t = drift(start=start)
    midnight = T0 + timedelta(days=1)
    day1 = t.filter(pl.col("timestamp") < midnight)
    day2 = t.filter(pl.col("timestamp") >= midnight)
    day2 = day2.with_columns(pl.lit("day2.csv").alias("source"))
    out = run(day2, day1)
    assert out.height == 1
    assert out["start_time"][0] == start and out["duration_h"][0] == pytest.approx(6.0)
    assert out["evidence"][0][-1].startswith("day2.csv:")


def test_sparse_irregular_reporting_is_still_loitering():
    rng = random.Random(7)
    t = drift(hours=8)
    keep, at = [], 0.0
    while at <= 8 * 60:
        keep.append(round(at))
        at += rng.uniform(20, 70)
    out = run(t[keep])
    assert out.height == 1 and out["duration_h"][0] >= 7


def test_stop_after_steaming_starts_loitering_soon_after_the_stop():
    steam = track(TANKER, LAT, LON, hours=2, speed_knots=10, course_deg=90, interval_s=60)
    la, lo = steam["lat"][-1], steam["lon"][-1]
    stop = track(TANKER, la, lo, start=T0 + timedelta(hours=2, minutes=1), hours=5,
                 speed_knots=0.3, interval_s=60, first_record=1000)
    out = run(steam, stop)
    assert out.height == 1
    start = out["start_time"][0]
    assert T0 + timedelta(hours=2) <= start <= T0 + timedelta(hours=2, minutes=30)


# --- negatives ------------------------------------------------------------------------------


def test_slow_for_only_three_hours_is_not_loitering():
    assert run(drift(hours=3)).height == 0


def test_slow_within_20_nm_of_shore_is_not_loitering():
    assert run(drift(), reference=open_sea_reference(shore_km=10.0)).height == 0
    assert run(drift(), reference=open_sea_reference(shore_km=40.0)).height == 1  # > 20 nm


def test_steaming_at_10_knots_is_not_loitering():
    t = track(TANKER, LAT, LON, hours=8, speed_knots=10, course_deg=45, interval_s=60)
    assert run(t).height == 0


def test_at_anchor_in_port_is_not_loitering():
    t = track(TANKER, LAT, LON, hours=12, interval_s=180)
    pla, plo = offset(LAT, LON, 800, -500)
    port = open_sea_reference(ports=[Port("Nampo", "PRK", pla, plo)])
    assert run(t, reference=port).height == 0


def test_no_loitering_is_invented_across_a_dark_gap():
    t = drift(hours=9)
    dark = t.filter(
        (pl.col("timestamp") < T0 + timedelta(hours=3))
        | (pl.col("timestamp") > T0 + timedelta(hours=6))
    )
    assert run(dark).height == 0  # 3 h slow, 3 h dark, 3 h slow
    assert run(dark, max_gap_h=4.0).height == 1  # bridging the gap would make 9 h of it


# --- linking and properties -----------------------------------------------------------------


def test_overlapping_encounter_is_linked():
    data = detection_input(drift())
    prior = EVENTS.empty().vstack(
        EVENTS.conform(
            pl.DataFrame(
                {
                    "event_id": ["e1", "e2"],
                    "event_type": ["encounter", "encounter"],
                    "mmsi": [111, 111],
                    "other_mmsi": [TANKER, TANKER],
                    "start_time": [T0 + timedelta(hours=1), T0 + timedelta(hours=9)],
                    "end_time": [T0 + timedelta(hours=3), T0 + timedelta(hours=10)],
                    "lat": [LAT, LAT],
                    "lon": [LON, LON],
                }
            ).with_columns(pl.col("start_time", "end_time").dt.replace_time_zone("UTC"))
        )
    )
    # linking is the detector's ``link`` step, run by Detector.run and the scheduler
    out = registry()["loitering"].run(replace(data, prior_events=prior), LoiteringParams())
    assert out["related_event_ids"].to_list() == [["e1"]]


def test_deterministic_and_independent_of_input_order():
    t = drift(hours=10)
    other = track(TANKER + 1, LAT + 0.5, LON, hours=10, speed_knots=1, interval_s=300)
    first = run(t, other)
    assert first.height == 2
    assert run(other, t).equals(first)
    assert first["event_id"].n_unique() == 2


def test_params_are_validated():
    with pytest.raises(ValueError):
        LoiteringParams(max_gap_h=0.05)
    with pytest.raises(ValueError):
        LoiteringParams(speed_window_h=0)


def test_two_ships_sharing_an_mmsi_loitering_together_get_distinct_ids():
    from sanctionwatch.detectors.base import DetectionInput
    from sanctionwatch.schema import VESSEL_REPORTS

    a = drift()
    b = track(TANKER, LAT + 1.0, LON, hours=6, speed_knots=0.3, interval_s=60, first_record=900)
    tracks = pl.concat([
        a.with_columns(pl.lit(TANKER * 1000, dtype=pl.Int64).alias("track_id")),
        b.with_columns(pl.lit(TANKER * 1000 + 1, dtype=pl.Int64).alias("track_id")),
    ])
    data = DetectionInput(tracks=tracks, reports=VESSEL_REPORTS.empty(),
                          reference=open_sea_reference())
    out = detect(data, LoiteringParams())
    assert out.height == 2 and out["event_id"].n_unique() == 2
