"""Station types: every MMSI classified from its format and messages; vessel detectors see
ships only."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from sanctionwatch.detectors import DetectionInput
from sanctionwatch.ids import station_type_array
from sanctionwatch.schema import VESSEL_REPORTS
from sanctionwatch.stations import (
    classify_stations,
    is_ship_mmsi,
    position_summary,
    ship_reports,
    station_counts,
)
from sanctionwatch.tracks import prepare_tracks
from tests.factory import T0, open_sea_reference, positions, reports, track


def test_station_type_from_format() -> None:
    cases = {
        445_123_456: ("ship", "ship_format"),
        200_000_001: ("ship", "unallocated_mid"),  # a hull with a misconfigured MID
        2_320_001: ("coast_station", "coast_station_format"),  # 002320001, UK
        3_669_881: ("coast_station", "coast_station_format"),
        111_232_001: ("sar_aircraft", "sar_aircraft_format"),
        983_105_007: ("craft_associated", "craft_associated_format"),
        992_351_234: ("aid_to_navigation", "aid_to_navigation_format"),
        972_971_214: ("sart_mob_epirb", "sart_mob_epirb_format"),
        0: ("invalid_identity", "zero"),
        123_456_789: ("invalid_identity", "placeholder"),
        999_999_999: ("invalid_identity", "placeholder"),  # US "USS GOVT VESSEL"
        1_193_046: ("invalid_identity", "placeholder"),  # hexadecimal 123456
        36_926_403: ("invalid_identity", "fewer_than_9_digits"),  # group 0MID format
        20: ("invalid_identity", "fewer_than_9_digits"),
        1_072_211_352: ("invalid_identity", "more_than_9_digits"),
        111_111_851: ("invalid_identity", "unallocated_mid"),  # SAR format, MID 111
        871_160_567: ("invalid_identity", "not_a_station_format"),
    }
    kind, reason = station_type_array(list(cases))
    assert dict(zip(cases, zip(kind.tolist(), reason.tolist(), strict=True), strict=True)) == cases


def test_ship_class_from_messages() -> None:
    pos = positions([{"source": "p.csv", "record": i, **r} for i, r in enumerate([
        {"mmsi": 412_000_001, "timestamp": T0, "lat": 30.0, "lon": 125.0, "msg_type": 1},
        {"mmsi": 412_000_002, "timestamp": T0, "lat": 30.0, "lon": 125.0, "msg_type": 18},
        {"mmsi": 412_000_003, "timestamp": T0, "lat": 30.0, "lon": 125.0, "ais_class": "A"},
        {"mmsi": 412_000_003, "timestamp": T0, "lat": 30.0, "lon": 125.0, "ais_class": "B"},
        {"mmsi": 412_000_004, "timestamp": T0, "lat": 30.0, "lon": 125.0, "msg_type": 27},
        {"mmsi": 992_351_234, "timestamp": T0, "lat": 30.0, "lon": 125.0, "msg_type": 18},
    ])])
    rep = reports([{"mmsi": 412_000_004, "timestamp": T0, "ais_class": "B"},
                   {"mmsi": 412_000_005, "timestamp": T0}])
    st = classify_stations(position_summary(pos.lazy()), rep)
    got = {r["mmsi"]: (r["station_type"], r["reason"], r["positions"], r["reports"])
           for r in st.iter_rows(named=True)}
    assert got == {
        412_000_001: ("ship_class_a", "ship_format; class_a_messages", 1, 0),
        412_000_002: ("ship_class_b", "ship_format; class_b_messages", 1, 0),
        412_000_003: ("ship", "ship_format; class_a_and_b_messages", 2, 0),
        412_000_004: ("ship_class_b", "ship_format; class_b_messages", 1, 1),  # 27 says nothing
        412_000_005: ("ship", "ship_format; no_class_information", 0, 1),
        992_351_234: ("aid_to_navigation", "aid_to_navigation_format", 1, 0),
    }
    assert station_counts(st) == {"ship_class_a": 1, "ship_class_b": 2, "ship": 2,
                                  "aid_to_navigation": 1}


def test_prepare_removes_other_stations_and_detection_input_their_reports() -> None:
    frames = [track(412_000_001, 30.0, 125.0, hours=1), track(2_320_001, 50.8, -1.1, hours=1),
              track(0, 30.0, 126.0, hours=1)]
    prepared = prepare_tracks(pl.concat(frames))
    assert prepared.tracks["mmsi"].unique().to_list() == [412_000_001]
    assert prepared.removed_counts() == {"station:coast_station": 7,
                                         "station:invalid_identity": 7}
    rep = reports([{"mmsi": m, "timestamp": T0 + timedelta(minutes=i), "name": "X"}
                   for i, m in enumerate((412_000_001, 2_320_001, 0, 992_351_234))])
    data = DetectionInput(prepared.tracks, rep, open_sea_reference(), prepared.removed)
    assert data.reports["mmsi"].to_list() == [412_000_001]
    assert ship_reports(rep.filter(pl.col("mmsi") == 412_000_001)).height == 1
    assert is_ship_mmsi([412_000_001, 992_351_234]).tolist() == [True, False]


def test_station_messages_decide_for_ship_formats() -> None:
    # a SAR aircraft on a ship-format MMSI (message 9), a base station (message 4)
    rows = [{"mmsi": 400_214_919, "timestamp": T0 + timedelta(minutes=i), "lat": 30.0 + i,
             "lon": 125.0, "msg_type": 9, "source": "s.nmea", "record": i} for i in range(3)]
    rows += [{"mmsi": 2_320_001, "timestamp": T0, "lat": 50.8, "lon": -1.1, "msg_type": 4,
              "source": "s.nmea", "record": 9},
             {"mmsi": 412_000_001, "timestamp": T0, "lat": 30.0, "lon": 125.0, "msg_type": 1,
              "source": "s.nmea", "record": 10}]
    pos = positions(rows)
    prepared = prepare_tracks(pos)
    assert prepared.tracks["mmsi"].to_list() == [412_000_001]
    assert prepared.removed_counts() == {"station:coast_station": 1, "station:sar_aircraft": 3}
    st = classify_stations(position_summary(pos.lazy()), VESSEL_REPORTS.empty())
    got = {r["mmsi"]: (r["station_type"], r["reason"]) for r in st.iter_rows(named=True)}
    assert got[400_214_919] == ("sar_aircraft", "sar_aircraft_message")
    assert got[2_320_001] == ("coast_station", "coast_station_format")
