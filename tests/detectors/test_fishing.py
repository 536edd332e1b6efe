"""Apparent fishing and pair trawling on hand-built tracks in the DPRK East Sea."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import timedelta

import polars as pl
import pytest

from sanctionwatch.detectors.encounter import EncounterParams
from sanctionwatch.detectors.encounter import detect as detect_encounter
from sanctionwatch.detectors.fishing import FishingParams, detect
from sanctionwatch.detectors.pair_trawling import PairTrawlingParams
from sanctionwatch.detectors.pair_trawling import detect as detect_pairs
from sanctionwatch.reference import Port
from tests.factory import T0, detection_input, offset, open_sea_reference, positions, reports

LAT, LON = 40.0, 131.0  # DPRK claimed EEZ, East Sea
KN = 1852 / 3600
A, B = 412000001, 412000002

Path = Callable[[float], tuple[float, float]]  # hours -> metres (north, east)


def meander(knots: float = 3.5, period_h: float = 2.0, heading0: float = 0.7) -> Path:
    """A trawler working its ground: heading swings ±138° around ``heading0`` (no net drift)."""
    def at(h: float) -> tuple[float, float]:
        steps = int(h * 60)
        n = e = 0.0
        for k in range(steps):
            hd = heading0 + 2.405 * math.sin(2 * math.pi * k / (period_h * 60))
            n += knots * KN * 60 * math.cos(hd)
            e += knots * KN * 60 * math.sin(hd)
        return n, e
    return at


def straight(knots: float, heading_deg: float = 60.0) -> Path:
    hd = math.radians(heading_deg)
    return lambda h: (knots * KN * h * 3600 * math.cos(hd), knots * KN * h * 3600 * math.sin(hd))


def sampled(mmsi: int, hours: float, where: Path, *, every_min: float = 2.0, start_h: float = 0,
            north_m: float = 0.0, lat: float = LAT, lon: float = LON) -> pl.DataFrame:
    rows = []
    cache: dict[int, tuple[float, float]] = {}
    for i in range(int(hours * 60 / every_min) + 1):
        h = i * every_min / 60
        key = int(h * 60)
        if key not in cache:
            cache[key] = where(h)
        n, e = cache[key]
        la, lo = offset(lat, lon, n + north_m, e)
        rows.append({"mmsi": mmsi, "timestamp": T0 + timedelta(hours=start_h + h), "lat": la,
                     "lon": lo, "source": "test.csv", "record": i + 1})
    return positions(rows)


def typed(*pairs: tuple[int, int]) -> pl.DataFrame:
    return reports([{"mmsi": m, "timestamp": T0, "ship_type": t} for m, t in pairs])


def run(*frames: pl.DataFrame, types: pl.DataFrame | None = None,
        ports: tuple[Port, ...] = ()) -> pl.DataFrame:
    data = detection_input(*frames, vessel_reports=types,
                           reference=open_sea_reference(ports=ports))
    return detect(data, FishingParams())


def test_a_trawler_working_its_ground_is_one_fishing_episode_with_its_figures() -> None:
    ev = run(sampled(A, 8, meander()), types=typed((A, 30)))
    assert ev.height == 1
    e = ev.row(0, named=True)
    d = json.loads(e["details"])
    assert e["event_type"] == "fishing" and e["mmsi"] == A
    assert d["gear"] == "trawler" and d["declared_fishing"] is True
    assert 3.0 < d["median_speed_knots"] < 4.0
    assert d["straightness"] < 0.6 and d["turning_rate_deg_per_h"] > 60
    assert e["duration_h"] >= 7
    assert e["evidence"][0].startswith("test.csv:")


def test_a_ship_holding_course_at_trawling_speed_is_not_fishing() -> None:
    assert run(sampled(A, 8, straight(4.0)), types=typed((A, 70))).height == 0


def test_trawling_movement_near_a_port_is_not_fishing() -> None:
    port = Port("PILOT STATION", "CHN", LAT, LON)
    assert run(sampled(A, 8, meander()), types=typed((A, 30)), ports=(port,)).height == 0


def test_a_tug_or_a_yacht_meandering_is_not_fishing() -> None:
    assert run(sampled(A, 8, meander()), types=typed((A, 52))).height == 0
    assert run(sampled(A, 8, meander()), types=typed((A, 37))).height == 0


def test_the_ship_type_is_supporting_evidence_not_a_requirement() -> None:
    short = sampled(A, 3, meander())
    assert run(short, types=typed((A, 30))).height == 1  # declared: 2 h suffice
    assert run(short).height == 0  # undeclared: 4 h needed
    ev = run(sampled(A, 8, meander()))
    assert ev.height == 1 and json.loads(ev["details"][0])["declared_fishing"] is False


def _jigging_nights(n_nights: int) -> pl.DataFrame:
    """Drift at ~0.3 kn through the local nights (19-05 h at 131 E is 10:16-20:16 UTC),
    steam between grounds at 8 kn by day."""
    frames = []
    for night in range(n_nights):
        start = 24 * night + 10.5  # UTC hours
        frames.append(sampled(A, 9, straight(0.3, 200), start_h=start, north_m=night * 30_000))
        frames.append(sampled(A, 4, straight(8.0, 0), start_h=start + 9.2,
                              north_m=night * 30_000))
    return pl.concat(frames)


def test_a_squid_jigger_drifting_at_night_is_fishing() -> None:
    ev = run(_jigging_nights(1), types=typed((A, 30)))
    assert ev.height == 1
    d = json.loads(ev["details"][0])
    assert d["gear"] == "squid_jigger" and d["night_share"] >= 0.8


def test_one_night_of_drifting_without_a_fishing_type_is_not_jigging() -> None:
    assert run(_jigging_nights(1), types=typed((A, 80))).height == 0
    assert run(_jigging_nights(2), types=typed((A, 80))).height == 2


def test_drifting_by_day_is_not_jigging() -> None:
    day = sampled(A, 8, straight(0.3, 200), start_h=0.0)  # 09-17 h local solar time
    assert run(day, types=typed((A, 30))).height == 0


def _pair(knots: float = 3.5, apart_m: float = 450.0, hours: float = 6.0) -> pl.DataFrame:
    path = meander(knots)
    return pl.concat([sampled(A, hours, path), sampled(B, hours, path, north_m=apart_m)])


def pairs(*frames: pl.DataFrame) -> pl.DataFrame:
    return detect_pairs(detection_input(*frames, reference=open_sea_reference()),
                        PairTrawlingParams())


def test_two_boats_trawling_together_are_a_pair_trawl_and_not_an_encounter() -> None:
    both = _pair()
    ev = pairs(both)
    assert ev.height == 1
    e = ev.row(0, named=True)
    d = json.loads(e["details"])
    assert (e["mmsi"], e["other_mmsi"]) == (A, B) and e["event_type"] == "pair_trawling"
    assert e["duration_h"] >= 5 and 400 < e["median_distance_m"] < 500
    assert d["median_course_difference_deg"] < 5 and e["median_speed_knots"] > 3
    enc = detect_encounter(detection_input(both, reference=open_sea_reference()),
                           EncounterParams())
    assert enc.height == 0


@pytest.mark.parametrize("apart_m", [800.0, 3000.0])
def test_boats_too_far_apart_are_not_a_pair(apart_m: float) -> None:
    assert pairs(_pair(apart_m=apart_m)).height == 0


def _off_station(path: Path, off_m: float, from_h: float, to_h: float, every_min: float,
                 off_min: float) -> Path:
    """``path`` moved ``off_m`` north for the last ``off_min`` of every ``every_min`` between
    ``from_h`` and ``to_h``: a partner whose fixes (sparse, interpolated across a meander)
    put it off its station for part of each hour."""
    def at(h: float) -> tuple[float, float]:
        n, e = path(h)
        off = from_h <= h < to_h and ((h - from_h) * 60) % every_min >= every_min - off_min
        return n + (off_m if off else 0.0), e
    return at


def test_a_pair_seen_together_in_short_runs_across_a_ragged_stretch_is_one_pair_trawl() -> None:
    # 5 h (more than the 4 h merge gap) where the two are within the pair distance only for
    # 40 min of every 90 (runs too short to start an event): still one operation
    path = meander()
    a = sampled(A, 14, path)
    ragged = sampled(B, 14, _off_station(path, 450.0, 4, 9, every_min=90, off_min=50),
                     north_m=450)
    ev = pairs(a, ragged)
    assert ev.height == 1 and ev["duration_h"][0] > 13
    # the same stretch with the partner off station throughout: two pair trawls
    apart = sampled(B, 14, _off_station(path, 450.0, 4, 9, every_min=90, off_min=90),
                    north_m=450)
    assert pairs(a, apart).height == 2


def test_two_ships_alongside_and_slow_are_an_encounter_not_a_pair_trawl() -> None:
    slow = pl.concat([sampled(A, 6, straight(0.4)), sampled(B, 6, straight(0.4), north_m=80)])
    assert pairs(slow).height == 0


def test_one_ship_overtaking_another_is_not_a_pair() -> None:
    fast = sampled(A, 6, straight(5.0, 90))
    slow = sampled(B, 6, meander(), north_m=300)
    assert pairs(fast, slow).height == 0


def test_params_have_units_and_reject_bad_values() -> None:
    with pytest.raises(ValueError):
        FishingParams(min_trawl_speed_knots=6.0)
    with pytest.raises(ValueError):
        PairTrawlingParams(search_distance_m=100.0)
    assert FishingParams(fishing_ship_types="30,31").fishing_ship_types == ("30", "31")  # type: ignore[arg-type]


def test_a_ship_at_anchor_for_days_is_not_jigging() -> None:
    anchored = sampled(A, 72, straight(0.3, 200), every_min=5.0)  # slow by day and by night
    assert run(anchored, types=typed((A, 30))).height == 0
    assert run(anchored, types=typed((A, 70))).height == 0


def test_a_jigging_night_runs_from_sunset_not_from_fixed_clock_hours() -> None:
    # 1 March at 40° N, 131° E: sunset about 17:40 local solar time (08:55 UTC), sunrise
    # about 06:20 (21:35 UTC); the lamps go on at sunset, not at 19 h
    night = pl.concat([sampled(A, 12, straight(0.3, 200), start_h=9.0),
                       sampled(A, 4, straight(8.0, 0), start_h=21.2)])
    data = detection_input(night, vessel_reports=typed((A, 30)),
                           reference=open_sea_reference())
    by_sun = detect(data, FishingParams())
    fixed = detect(data, FishingParams(night_by_sun=False))
    assert by_sun.height == fixed.height == 1
    start_sun = (by_sun["start_time"][0] - T0) / timedelta(hours=1)
    start_fixed = (fixed["start_time"][0] - T0) / timedelta(hours=1)
    assert start_sun < 9.5 and start_fixed > 10.0  # 19 h local is 10:16 UTC
    assert by_sun["duration_h"][0] > fixed["duration_h"][0] + 1.5
