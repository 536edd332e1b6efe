"""draught_change: laden / unladen between reports, linked to gaps and encounters."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import polars as pl
import pytest

from sanctionwatch.detectors import ais_gap, detectors, draught_change
from sanctionwatch.detectors.base import DetectionInput, registry
from sanctionwatch.schema import EVENTS
from tests.factory import T0, detection_input, reports, track

MMSI = 412_000_001
H = timedelta(hours=1)


def _dark_voyage() -> DetectionInput:
    """12 h dense reporting, 14 h dark, 4 h reporting again; draught 5.2 m -> 12.0 m."""
    a = track(MMSI, 38.0, 124.0, hours=12, speed_knots=8)
    b = track(MMSI, 38.2, 124.3, start=T0 + 26 * H, hours=4, speed_knots=8, first_record=500)
    rep = reports([
        {"mmsi": MMSI, "timestamp": T0 + 1 * H, "draught_m": 5.2, "length_m": 90.0},
        {"mmsi": MMSI, "timestamp": T0 + 27 * H, "draught_m": 12.0},
    ])
    return detection_input(a, b, vessel_reports=rep)


def _with_prior(data: DetectionInput, *events: pl.DataFrame) -> DetectionInput:
    return dataclasses.replace(data, prior_events=pl.concat(list(events)))


def _run(data: DetectionInput, params: draught_change.Params | None = None) -> pl.DataFrame:
    return registry()["draught_change"].run(data, params)


def test_loading_around_an_ais_gap_links_to_the_gap() -> None:
    data = _dark_voyage()
    gaps = registry()[ais_gap.EVENT_TYPE].run(data)
    assert gaps.height == 1
    ev = _run(_with_prior(data, gaps))
    assert ev.height == 1
    row = ev.row(0, named=True)
    assert row["subtype"] == "laden"
    assert (row["old_value"], row["new_value"]) == ("5.2", "12.0")
    assert row["draught_before_m"] == pytest.approx(5.2)
    assert row["draught_after_m"] == pytest.approx(12.0)
    assert row["related_event_ids"] == gaps["event_id"].to_list()
    assert row["start_time"] == T0 + 1 * H and row["end_time"] == T0 + 27 * H
    assert row["evidence"] == ["test.csv:1", "test.csv:2"]
    assert json.loads(row["details"])["change_m"] == pytest.approx(6.8)
    assert row["lat"] == pytest.approx(38.0 + 8 * 1852 / 111_195, abs=1e-3)  # at T0 + 1 h


def test_small_change_is_no_event() -> None:
    rep = reports([
        {"mmsi": MMSI, "timestamp": T0, "draught_m": 8.0},
        {"mmsi": MMSI, "timestamp": T0 + 5 * H, "draught_m": 8.1},
        {"mmsi": MMSI, "timestamp": T0 + 9 * H, "draught_m": 8.4},
    ])
    assert _run(detection_input(track(MMSI, 30.0, 125.0), vessel_reports=rep)).height == 0


def test_unladen_and_implausible_values() -> None:
    rep = reports([
        {"mmsi": MMSI, "timestamp": T0, "draught_m": 12.0, "length_m": 40.0},
        {"mmsi": MMSI, "timestamp": T0 + 1 * H, "draught_m": 25.5},  # 'or more': unknown
        {"mmsi": MMSI, "timestamp": T0 + 2 * H, "draught_m": 30.0},
        {"mmsi": MMSI, "timestamp": T0 + 3 * H, "draught_m": 21.0},  # > half of 40 m
        {"mmsi": MMSI, "timestamp": T0 + 4 * H, "draught_m": 4.5},
        {"mmsi": MMSI, "timestamp": T0 + 5 * H, "draught_m": None},
    ])
    ev = _run(detection_input(track(MMSI, 30.0, 125.0), vessel_reports=rep))
    assert list(ev.select("subtype", "old_value", "new_value").iter_rows()) == [
        ("unladen", "12.0", "4.5")
    ]
    assert ev["related_event_ids"].to_list() == [[]]


def test_encounter_links_either_party_and_window_is_respected() -> None:
    data = _dark_voyage()
    other = 667_000_009
    base = {"event_type": "encounter", "lat": 38.1, "lon": 124.1}
    prior = EVENTS.conform(pl.DataFrame([
        {**base, "event_id": "enc-inside", "mmsi": other - 300_000_000, "other_mmsi": MMSI,
         "start_time": T0 + 14 * H, "end_time": T0 + 18 * H},
        {**base, "event_id": "enc-late", "mmsi": MMSI, "other_mmsi": other,
         "start_time": T0 + 40 * H, "end_time": T0 + 44 * H},
        {**base, "event_id": "loit-edge", "event_type": "loitering", "mmsi": MMSI,
         "start_time": T0 - 4 * H, "end_time": T0 + 2 * H},  # starts within the 6 h window
        {**base, "event_id": "zone", "event_type": "zone_entry", "mmsi": MMSI,
         "start_time": T0 + 14 * H, "end_time": T0 + 14 * H},
    ]))
    ev = _run(_with_prior(data, prior))
    assert ev["related_event_ids"].to_list() == [["enc-inside", "loit-edge"]]
    narrow = _run(_with_prior(data, prior), draught_change.Params(link_window_h=0))
    assert narrow["related_event_ids"].to_list() == [["enc-inside"]]


def test_output_conforms_and_ids_are_stable() -> None:
    data = _dark_voyage()
    first = draught_change.detect(data, draught_change.Params())
    assert set(first.columns) <= set(EVENTS.names)
    assert first["event_id"].to_list() == draught_change.detect(
        data, draught_change.Params()
    )["event_id"].to_list()
    with pytest.raises(ValueError):
        draught_change.Params(min_change_m=0)


def test_link_types_accept_comma_separated_text() -> None:
    p = draught_change.Params(link_event_types="ais_gap,encounter")  # type: ignore[arg-type]
    assert p.link_event_types == ("ais_gap", "encounter")


def _flapping(then: float) -> pl.DataFrame:
    """11.2 m, then two transponders alternating 8.6 / 11.2 m every 3 min for 21 min, then
    ``then`` held to the end."""
    rows = [{"mmsi": MMSI, "timestamp": T0, "draught_m": 11.2}]
    for i in range(1, 8):
        rows.append({"mmsi": MMSI, "timestamp": T0 + 1 * H + timedelta(minutes=3 * i),
                     "draught_m": 8.6 if i % 2 else 11.2})
    rows.append({"mmsi": MMSI, "timestamp": T0 + 1 * H + timedelta(minutes=24),
                 "draught_m": then})
    return reports(rows)


def test_flapping_draught_gives_no_change_and_a_held_one_is_found() -> None:
    ship = track(MMSI, 30.0, 125.0, hours=6)
    assert _run(detection_input(ship, vessel_reports=_flapping(11.2))).height == 0
    held = _run(detection_input(ship, vessel_reports=_flapping(8.6)))
    assert list(held.select("old_value", "new_value").iter_rows()) == [("11.2", "8.6")]
    # without hysteresis the flapping is eight changes
    assert _run(detection_input(ship, vessel_reports=_flapping(11.2)),
                draught_change.Params(min_hold_min=0)).height == 8


def test_a_new_value_seen_once_then_silence_is_no_change() -> None:
    ship = track(MMSI, 30.0, 125.0, hours=6)
    rep = reports([{"mmsi": MMSI, "timestamp": T0, "draught_m": 5.0},
                   {"mmsi": MMSI, "timestamp": T0 + 3 * H, "draught_m": 9.0},
                   {"mmsi": MMSI, "timestamp": T0 + 3 * H + timedelta(minutes=6),
                    "draught_m": 5.0}])
    assert _run(detection_input(ship, vessel_reports=rep)).height == 0


def test_turns_of_two_transponders_are_no_change() -> None:
    """Two units configured 8.3 and 5.7 m taking turns about hourly (slower than the
    hysteresis): the duplicate_transponder check finds them, and none of their turns is a
    load change; a change to a third value still is."""
    values = [8.3, 5.7, 8.3, 5.7, 8.3, 5.7, 8.3, 11.0]
    rep = reports([{"mmsi": MMSI, "timestamp": T0 + timedelta(hours=h), "draught_m": v}
                   for h, v in enumerate(values)])
    data = detection_input(track(MMSI, 30.0, 125.0, hours=9), vessel_reports=rep)
    dup = detectors()["duplicate_transponder"].run(data, None)
    assert dup["subtype"].to_list() == ["draught"]
    alone = _run(data)
    assert alone.height == 7  # without the finding, every turn is a "change"
    ev = _run(_with_prior(data, dup))
    assert ev.select("old_value", "new_value").rows() == [("8.3", "11.0")]
