"""Tests of the port_call detector on hand-built voyages (DETECTION.md 1.4)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl
import pytest

from sanctionwatch.detectors.base import registry
from sanctionwatch.detectors.port_call import PortCallParams, detect
from sanctionwatch.geo import haversine_m
from sanctionwatch.reference import Port
from sanctionwatch.schema import EVENTS
from tests.factory import T0, detection_input, offset, open_sea_reference, positions, track

NAMPO = Port("NAMPO", "PRK", 38.7167, 125.4)
MMSI = 445_000_001


def voyage(
    mmsi: int,
    lat: float,
    lon: float,
    legs: Sequence[tuple[float, float, float, float]],
    *,
    start: datetime = T0,
    source: str = "test.csv",
) -> pl.DataFrame:
    """Chain straight legs (hours, speed_knots, course_deg, interval_s) into one track."""
    frames: list[pl.DataFrame] = []
    t, rec = start, 1
    for i, (hours, speed, course, interval) in enumerate(legs):
        f = track(mmsi, lat, lon, start=t, hours=hours, interval_s=interval, speed_knots=speed,
                  course_deg=course, source=source, first_record=rec - (1 if i else 0))
        if i:
            f = f.slice(1)  # the first position repeats the previous leg's last one
        frames.append(f)
        last = f.row(-1, named=True)
        lat, lon, t, rec = last["lat"], last["lon"], last["timestamp"], last["record"] + 1
    return pl.concat(frames)


def km_to(port: Port, lat: float, lon: float) -> float:
    return float(haversine_m(port.lat, port.lon, lat, lon)) / 1000.0


def nampo_call(mmsi: int = MMSI, start: datetime = T0, source: str = "test.csv") -> pl.DataFrame:
    """Arrive from 20 km west at 8 kn, stop 20 h 1 km west of the port point, leave west."""
    lat, lon = offset(NAMPO.lat, NAMPO.lon, 0.0, -20_000.0)
    approach_h = 19_000 / (8 * 1852)
    return voyage(mmsi, lat, lon, [(approach_h, 8.0, 90.0, 300.0), (20.0, 0.0, 0.0, 600.0),
                                   (2.0, 8.0, 270.0, 300.0)], start=start, source=source)


def run(*frames: pl.DataFrame, ports: Sequence[Port] = (NAMPO,),
        params: PortCallParams | None = None) -> pl.DataFrame:
    data = detection_input(*frames, reference=open_sea_reference(ports))
    return registry()["port_call"].run(data, params)


def details(ev: pl.DataFrame, i: int = 0) -> dict[str, object]:
    return dict(json.loads(ev["details"][i]))


def test_tanker_calls_at_nampo() -> None:
    pos = nampo_call()
    ev = run(pos)
    assert ev.height == 1
    e = ev.row(0, named=True)
    assert e["event_type"] == "port_call"
    assert e["port_name"] == "NAMPO" and e["port_country"] == "PRK" and e["is_dprk"] is True
    assert e["subtype"] == "stop"
    assert (e["lat"], e["lon"]) == (NAMPO.lat, NAMPO.lon)
    # entry: first position within 3 km; exit: first beyond 4 km (both on the 8 kn legs)
    d = [km_to(NAMPO, la, lo) for la, lo in zip(pos["lat"], pos["lon"], strict=True)]
    assert e["distance_to_port_km"] == pytest.approx(min(d)) and 1.0 < min(d) < 1.6
    first_in = next(i for i, x in enumerate(d) if x <= 3.0)
    first_out = next(i for i, x in enumerate(d) if i > first_in and x > 4.0)
    assert e["start_time"] == pos["timestamp"][first_in]
    assert e["end_time"] == pos["timestamp"][first_out]
    assert e["n_positions"] == first_out - first_in
    assert 20.0 < e["duration_h"] < 21.0
    det = details(ev)
    assert det["stopped"] is True and det["n_stops"] == 1
    assert det["stop_duration_h"] == pytest.approx(20.0, abs=0.2)
    assert det["confidence"] == 4
    assert det["entry_seen"] is True and det["exit_seen"] is True
    assert det["dprk_port"] is True and "13810" in str(det["dprk_note"])
    assert det["has_port_gap"] is False
    assert det["unobserved_at_entry_h"] == pytest.approx(300 / 3600, abs=1e-4)
    assert det["unobserved_at_exit_h"] == pytest.approx(300 / 3600, abs=1e-4)
    assert len(e["evidence"]) == 4 and all(x.startswith("test.csv:") for x in e["evidence"])
    assert EVENTS.names == ev.columns


def test_event_ids_are_deterministic() -> None:
    a = run(nampo_call())
    b = run(nampo_call())
    assert a["event_id"].to_list() == b["event_id"].to_list()
    assert a["event_id"][0] != run(nampo_call(mmsi=MMSI + 1))["event_id"][0]


def test_passing_outside_entry_radius_is_no_visit() -> None:
    lat, lon = offset(NAMPO.lat, NAMPO.lon, -3_500.0, -30_000.0)
    pos = track(MMSI, lat, lon, hours=3.0, interval_s=60.0, speed_knots=12.0, course_deg=90.0)
    assert min(km_to(NAMPO, la, lo) for la, lo in zip(pos["lat"], pos["lon"], strict=True)) > 3.4
    assert run(pos).height == 0


def test_passage_through_port_without_stop_is_dropped_unless_min_duration_zero() -> None:
    lat, lon = offset(NAMPO.lat, NAMPO.lon, -2_000.0, -30_000.0)
    pos = track(MMSI, lat, lon, hours=3.0, interval_s=60.0, speed_knots=12.0, course_deg=90.0)
    assert run(pos).height == 0
    ev = run(pos, params=PortCallParams(min_duration_h=0.0))
    assert ev.height == 1
    assert ev["subtype"][0] == "visit"
    assert details(ev)["confidence"] == 1 and details(ev)["stopped"] is False


def test_jitter_in_the_hysteresis_band_stays_one_visit() -> None:
    # enter to 2.5 km, then lie at anchor with positions jittering between 3.2 and 3.9 km
    lat0, lon0 = offset(NAMPO.lat, NAMPO.lon, 0.0, -10_000.0)
    arrive = track(MMSI, lat0, lon0, hours=7_500 / (8 * 1852), interval_s=120.0,
                   speed_knots=8.0, course_deg=90.0)
    t_last = arrive["timestamp"][-1]
    rows: list[dict[str, object]] = []
    la, lo = NAMPO.lat, NAMPO.lon
    for i in range(1, 121):
        east = -(3_200.0 if i % 2 else 3_800.0) - (i % 3) * 50.0
        la, lo = offset(NAMPO.lat, NAMPO.lon, 0.0, east)
        rows.append({"mmsi": MMSI, "timestamp": t_last + timedelta(minutes=5 * i), "lat": la,
                     "lon": lo, "sog_knots": 0.1, "source": "test.csv", "record": 1000 + i})
    anchored = positions(rows)
    leave = track(MMSI, la, lo, start=t_last + timedelta(minutes=605), hours=1.0, interval_s=120.0,
                  speed_knots=8.0, course_deg=270.0, first_record=5000)
    pos = pl.concat([arrive, anchored, leave])
    ev = run(pos)
    assert ev.height == 1
    det = details(ev)
    assert det["stopped"] is True and det["n_stops"] == 1
    assert 9.5 < ev["duration_h"][0] < 11.0
    # without hysteresis (exit = entry = 3.5 km) the same track makes no single long visit,
    # but one-position flickers the evidence thresholds then drop
    strict = run(pos, params=PortCallParams(entry_radius_km=3.5, exit_radius_km=3.5,
                                            min_positions=1, min_observed_min=0.0))
    assert strict.height > 1


def test_visit_straddling_midnight_in_two_files_is_one_event() -> None:
    start = T0 + timedelta(hours=14)  # stop from about 15:30 to 11:30 the next day
    pos = nampo_call(start=start)
    midnight = T0 + timedelta(days=1)
    before = pl.col("timestamp") < midnight
    day1 = pos.filter(before).with_columns(pl.lit("day1.csv").alias("source"))
    day2 = pos.filter(~before).with_columns(pl.lit("day2.csv").alias("source"))
    ev = run(day2, day1)
    assert ev.height == 1
    e = ev.row(0, named=True)
    assert e["start_time"] < midnight < e["end_time"]
    assert e["evidence"][0].startswith("day1.csv:") and e["evidence"][-1].startswith("day2.csv:")
    assert ev["event_id"][0] == run(pos.with_columns(pl.lit("x").alias("source")))["event_id"][0]


def test_two_neighbouring_ports_make_two_visits_switching_beyond_exit_radius() -> None:
    a = Port("PORT A", "CHN", 39.0, 121.0)
    b_lat, b_lon = offset(a.lat, a.lon, 0.0, 6_000.0)
    b = Port("PORT B", "CHN", b_lat, b_lon)
    lat, lon = offset(a.lat, a.lon, 0.0, -15_000.0)
    pos = voyage(MMSI, lat, lon, [
        (15_000 / (8 * 1852), 8.0, 90.0, 300.0),  # arrive at A
        (10.0, 0.0, 0.0, 600.0),  # stop at A
        (6_000 / (5 * 1852), 5.0, 90.0, 120.0),  # shift to B
        (10.0, 0.0, 0.0, 600.0),  # stop at B
        (2.0, 8.0, 90.0, 300.0),  # leave east
    ])
    ev = run(pos, ports=[a, b]).sort("start_time")
    assert ev["port_name"].to_list() == ["PORT A", "PORT B"]
    assert ev["subtype"].to_list() == ["stop", "stop"]
    assert ev["end_time"][0] == ev["start_time"][1]
    # A ends at the first position beyond 4 km of A (not at the 3 km midpoint)
    switch = pos.filter(pl.col("timestamp") == ev["start_time"][1]).row(0, named=True)
    assert km_to(a, switch["lat"], switch["lon"]) > 4.0
    assert km_to(b, switch["lat"], switch["lon"]) < 2.1
    assert all(details(ev, i)["confidence"] == 4 for i in range(2))
    assert not ev["is_dprk"].any()
    assert "dprk_note" not in details(ev)


def test_three_ports_in_a_row_make_three_visits_in_order() -> None:
    # one run of positions near three candidate ports: each is the vessel's port from entry
    # until it is beyond the exit radius of the one before
    a = Port("PORT A", "CHN", 39.0, 121.0)
    b = Port("PORT B", "CHN", *offset(a.lat, a.lon, 0.0, 6_000.0))
    c = Port("PORT C", "CHN", *offset(a.lat, a.lon, 0.0, 12_000.0))
    lat, lon = offset(a.lat, a.lon, 0.0, -15_000.0)
    shift = (6_000 / (5 * 1852), 5.0, 90.0, 120.0)
    pos = voyage(MMSI, lat, lon, [
        (15_000 / (8 * 1852), 8.0, 90.0, 300.0),  # arrive at A
        (10.0, 0.0, 0.0, 600.0), shift,  # stop at A, shift to B
        (10.0, 0.0, 0.0, 600.0), shift,  # stop at B, shift to C
        (10.0, 0.0, 0.0, 600.0),  # stop at C
        (2.0, 8.0, 90.0, 300.0),  # leave east
    ])
    ev = run(pos, ports=[c, a, b]).sort("start_time")
    assert ev["port_name"].to_list() == ["PORT A", "PORT B", "PORT C"]
    assert ev["subtype"].to_list() == ["stop", "stop", "stop"]
    for i, (left, entered) in enumerate([(a, b), (b, c)]):
        assert ev["end_time"][i] == ev["start_time"][i + 1]
        switch = pos.filter(pl.col("timestamp") == ev["start_time"][i + 1]).row(0, named=True)
        assert km_to(left, switch["lat"], switch["lon"]) > 4.0
        assert km_to(entered, switch["lat"], switch["lon"]) < 2.1


def test_anchorage_points_of_one_port_make_one_visit() -> None:
    east_lat, east_lon = offset(NAMPO.lat, NAMPO.lon, 0.0, 5_000.0)
    anchorage = Port("NAMPO", "PRK", east_lat, east_lon, kind="anchorage")
    lat, lon = offset(NAMPO.lat, NAMPO.lon, 0.0, -15_000.0)
    pos = voyage(MMSI, lat, lon, [
        (15_000 / (8 * 1852), 8.0, 90.0, 300.0),
        (6.0, 0.0, 0.0, 600.0),
        (5_000 / (5 * 1852), 5.0, 90.0, 120.0),
        (6.0, 0.0, 0.0, 600.0),
        (2.0, 8.0, 90.0, 300.0),
    ])
    ev = run(pos, ports=[NAMPO, anchorage])
    assert ev.height == 1
    assert details(ev)["n_stops"] == 2
    assert details(ev)["stop_duration_h"] == pytest.approx(12.0, abs=0.3)


def test_two_distant_ports_and_a_passage_between() -> None:
    far_lat, far_lon = offset(NAMPO.lat, NAMPO.lon, 0.0, 40_000.0)
    far = Port("FAR", "CHN", far_lat, far_lon)
    lat, lon = offset(NAMPO.lat, NAMPO.lon, 0.0, -10_000.0)
    pos = voyage(MMSI, lat, lon, [
        (10_000 / (10 * 1852), 10.0, 90.0, 300.0),
        (5.0, 0.0, 0.0, 600.0),
        (40_000 / (10 * 1852), 10.0, 90.0, 300.0),
        (5.0, 0.0, 0.0, 600.0),
        (1.0, 10.0, 90.0, 300.0),
    ])
    ev = run(pos, ports=[NAMPO, far]).sort("start_time")
    assert ev["port_name"].to_list() == ["NAMPO", "FAR"]
    assert ev["is_dprk"].to_list() == [True, False]
    assert ev["event_id"].n_unique() == 2


def test_stop_from_implied_speed_when_sog_is_missing() -> None:
    pos = nampo_call().with_columns(pl.lit(None, dtype=pl.Float32).alias("sog_knots"))
    ev = run(pos)
    assert ev.height == 1
    assert ev["subtype"][0] == "stop"
    assert details(ev)["stop_duration_h"] == pytest.approx(20.0, abs=0.3)


def test_port_gap_is_reported() -> None:
    pos = nampo_call()
    t_in = T0 + timedelta(hours=5)
    silent = pl.col("timestamp").is_between(t_in, t_in + timedelta(hours=6))
    pos = pos.filter(~silent)
    ev = run(pos)
    det = details(ev)
    assert det["has_port_gap"] is True
    assert det["port_gap_h"] == pytest.approx(6.0 + 1 / 6, abs=0.01)


def test_track_starting_and_ending_in_port_has_lower_confidence() -> None:
    pos = track(MMSI, NAMPO.lat, NAMPO.lon + 0.01, hours=10.0, interval_s=600.0)
    ev = run(pos)
    assert ev.height == 1
    det = details(ev)
    assert det["entry_seen"] is False and det["exit_seen"] is False
    assert det["unobserved_at_entry_h"] is None and det["unobserved_at_exit_h"] is None
    assert det["confidence"] == 2
    assert ev["end_time"][0] == pos["timestamp"][-1]


def test_no_ports_or_no_positions() -> None:
    assert run(nampo_call(), ports=()).height == 0
    data = detection_input(nampo_call().head(0), reference=open_sea_reference([NAMPO]))
    assert detect(data, PortCallParams()).height == 0


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        PortCallParams(entry_radius_km=5.0, exit_radius_km=4.0)
    with pytest.raises(ValueError):
        PortCallParams(stop_speed_knots=1.0, restart_speed_knots=0.5)
    with pytest.raises(ValueError):
        PortCallParams(min_duration_h=-1.0)


def test_two_ships_sharing_an_mmsi_at_one_port_get_distinct_ids() -> None:
    # an (unrealistically distant) second point of the same port: same port key, same start
    far = Port("NAMPO", "PRK", NAMPO.lat, NAMPO.lon + 1.0, kind="anchorage")
    a = track(MMSI, NAMPO.lat, NAMPO.lon + 0.01, hours=6.0, interval_s=600.0)
    b = track(MMSI, far.lat, far.lon + 0.01, hours=6.0, interval_s=600.0, first_record=100)
    ev = run(a, b, ports=[NAMPO, far])
    assert ev["port_name"].to_list() == ["NAMPO", "NAMPO"]
    assert ev["start_time"].n_unique() == 1 and ev["event_id"].n_unique() == 2


def test_input_order_and_file_split_do_not_change_events() -> None:
    pos = nampo_call()
    ref = run(pos)
    shuffled = pos.sample(fraction=1.0, shuffle=True, seed=7)
    half = shuffled.height // 2
    again = run(shuffled.slice(half), shuffled.slice(0, half))
    assert again.equals(ref)


def test_details_are_canonical_json_with_the_dprk_keys_only_at_dprk_ports() -> None:
    from sanctionwatch.detectors.details import details_text

    ev = run(nampo_call(), ports=[NAMPO, Port("TEST", "KOR", 30.0, 120.0, "anchorage")])
    assert ev.height == 1
    for text in ev["details"]:
        d = json.loads(text)
        assert details_text(d) == text  # one format: compact, sorted keys
        assert d["dprk_port"] is True and isinstance(d["stop_position"], list)
    elsewhere = run(nampo_call(), ports=[Port("TEST", "KOR", 38.7167, 125.4, "port")])
    assert elsewhere.height == 1
    d = json.loads(elsewhere["details"][0])
    assert "dprk_port" not in d and "dprk_note" not in d  # optional keys, absent when null


def test_a_port_call_needs_three_positions_over_three_minutes() -> None:
    def moored(n: int, interval_s: float) -> pl.DataFrame:
        if interval_s == 0:
            one = track(MMSI, NAMPO.lat, NAMPO.lon, hours=0)
            return pl.concat([one.with_columns(pl.lit(i + 1).alias("record"))
                              for i in range(n)]).with_columns(pl.col("lat") + pl.int_range(
                                  n) * 1e-6)
        return track(MMSI, NAMPO.lat, NAMPO.lon, hours=(n - 1) * interval_s / 3600,
                     interval_s=interval_s)

    assert run(moored(1, 180.0)).height == 0  # one position
    assert run(moored(2, 600.0)).height == 0  # two
    assert run(moored(3, 60.0)).height == 0  # three within two minutes
    assert run(moored(20, 0.0)).height == 0  # twenty stamped at one instant
    ev = run(moored(3, 90.0))
    assert ev.height == 1 and ev["subtype"][0] == "stop" and ev["n_positions"][0] == 3
