"""identity_change: renames, IMO / call sign / type / flag changes, shared IMO, MID vs flag."""

from __future__ import annotations

import json
from datetime import timedelta

import polars as pl
import pytest

from sanctionwatch.detectors import identity_change as ic
from sanctionwatch.detectors.base import registry
from sanctionwatch.schema import EVENTS
from tests.factory import T0, detection_input, reports, track

MMSI = 412_000_001
H = timedelta(hours=1)


def _run(rows: list[dict[str, object]], *frames: pl.DataFrame,
         params: ic.Params | None = None) -> pl.DataFrame:
    if not frames:
        frames = (track(MMSI, 30.0, 125.0, hours=12),)
    data = detection_input(*frames, vessel_reports=reports(rows))
    return registry()["identity_change"].run(data, params)


def _changes(ev: pl.DataFrame) -> list[tuple[str, str, str]]:
    return list(ev.select("subtype", "old_value", "new_value").iter_rows())


def test_rename_imo_callsign_and_type_changes() -> None:
    ev = _run([
        {"mmsi": MMSI, "timestamp": T0, "name": "RICH GLORY", "imo": 9074729,
         "callsign": "3EAB4", "ship_type": 80},
        {"mmsi": MMSI, "timestamp": T0 + 6 * H, "name": "YU JONG 2", "imo": 8987186,
         "callsign": "HMYF", "ship_type": 70},
    ])
    assert sorted(_changes(ev)) == [
        ("callsign", "3EAB4", "HMYF"),
        ("imo", "9074729", "8987186"),
        ("name", "RICH GLORY", "YU JONG 2"),
        ("ship_type", "80", "70"),
    ]
    row = ev.filter(pl.col("subtype") == "name").row(0, named=True)
    assert row["start_time"] == row["end_time"] == T0 + 6 * H
    assert row["evidence"] == ["test.csv:1", "test.csv:2"]
    assert (row["lat"], row["lon"]) == (30.0, 125.0)
    assert json.loads(row["details"])["hours_since_old_report"] == pytest.approx(6.0)
    assert ev["event_id"].n_unique() == 4


def test_case_whitespace_and_null_transitions_are_not_changes() -> None:
    ev = _run([
        {"mmsi": MMSI, "timestamp": T0, "name": "OCEAN STAR", "callsign": "HMXY",
         "ship_type": 80, "imo": 9074729},
        {"mmsi": MMSI, "timestamp": T0 + H, "name": " ocean  star", "callsign": "hmxy "},
        {"mmsi": MMSI, "timestamp": T0 + 2 * H, "name": None, "ship_type": 0, "imo": 0},
        {"mmsi": MMSI, "timestamp": T0 + 3 * H, "name": "OCEAN-STAR", "ship_type": 80,
         "imo": 9074729},
    ])
    assert ev.height == 0


def test_changes_are_per_mmsi() -> None:
    ev = _run([
        {"mmsi": MMSI, "timestamp": T0, "name": "A"},
        {"mmsi": MMSI + 1, "timestamp": T0 + H, "name": "B"},
    ])
    assert ev.height == 0


def test_one_imo_on_two_mmsis() -> None:
    ev = _run(
        [
            {"mmsi": MMSI, "timestamp": T0, "imo": 9074729, "name": "A"},
            {"mmsi": 667_000_002, "timestamp": T0 + 2 * H, "imo": 9074729, "name": "B"},
            {"mmsi": MMSI, "timestamp": T0 + 5 * H, "imo": 9074729, "name": "A"},
        ],
        track(MMSI, 30.0, 125.0, hours=12),
        track(667_000_002, 31.0, 125.0, hours=12, source="other.csv"),
    )
    shared = ev.filter(pl.col("subtype") == "shared_imo")
    assert shared.height == 1
    row = shared.row(0, named=True)
    assert (row["mmsi"], row["other_mmsi"], row["new_value"]) == (MMSI, 667_000_002, "9074729")
    assert row["start_time"] == T0 + 2 * H  # when the second MMSI first used it
    assert row["end_time"] == T0 + 5 * H
    assert row["distance_km"] == pytest.approx(111.2, abs=0.5)
    details = json.loads(row["details"])
    assert details["overlapping"] is True
    assert row["evidence"] == ["test.csv:1", "test.csv:2"]


def test_shared_imo_ignores_invalid_and_placeholder_imos() -> None:
    rows: list[dict[str, object]] = [
        {"mmsi": m, "timestamp": T0, "imo": imo}
        for imo in (1234568, 1234567) for m in (MMSI, MMSI + 1)
    ]
    assert "shared_imo" not in ev_subtypes(_run(rows))


def ev_subtypes(ev: pl.DataFrame) -> set[str]:
    return set(ev["subtype"].to_list())


def test_dprk_mid_broadcasting_sierra_leone_flag() -> None:
    dprk = 445_123_000
    ev = _run(
        [
            {"mmsi": dprk, "timestamp": T0, "flag": "SL"},
            {"mmsi": dprk, "timestamp": T0 + 3 * H, "flag": "sl"},
            {"mmsi": MMSI, "timestamp": T0, "flag": "CN"},  # consistent
            {"mmsi": 319_000_001, "timestamp": T0, "flag": "GB"},  # Cayman MID, British flag
            {"mmsi": 477_000_001, "timestamp": T0, "flag": "CN"},  # Hong Kong MID
        ],
        track(dprk, 39.0, 124.0, hours=4),
    )
    mm = ev.filter(pl.col("subtype") == "mid_flag_mismatch")
    assert _changes(mm) == [("mid_flag_mismatch", "KP", "SL")]
    row = mm.row(0, named=True)
    assert row["mmsi"] == dprk
    assert row["end_time"] == T0 + 3 * H
    assert json.loads(row["details"])["mid_country"] == "Democratic People's Republic of Korea"
    assert (row["lat"], row["lon"]) == (39.0, 124.0)


def test_flag_change() -> None:
    ev = _run([
        {"mmsi": MMSI, "timestamp": T0, "flag": "CN"},
        {"mmsi": MMSI, "timestamp": T0 + H, "flag": "TG"},
    ])
    assert ("flag", "CN", "TG") in _changes(ev)
    assert ("mid_flag_mismatch", "CN", "TG") in _changes(ev)
    no_flag = _run(
        [{"mmsi": MMSI, "timestamp": T0, "flag": "CN"},
         {"mmsi": MMSI, "timestamp": T0 + H, "flag": "TG"}],
        params=ic.Params(fields=("name",), mid_flag_mismatch=False),
    )
    assert no_flag.height == 0


def test_report_without_any_position_gets_nan_coordinates() -> None:
    ev = _run(
        [{"mmsi": 273_000_001, "timestamp": T0, "name": "A"},
         {"mmsi": 273_000_001, "timestamp": T0 + H, "name": "B"}],
    )
    assert ev.height == 1 and ev["lat"].is_nan().all()


def test_mid_table() -> None:
    expected = {
        445: "KP", 412: "CN", 413: "CN", 414: "CN", 440: "KR", 441: "KR", 477: "HK",
        416: "TW", 667: "SL", 671: "TG", 457: "MN", 677: "TZ", 511: "PW", 372: "PA",
        373: "PA", 374: "PA", 351: "PA", 357: "PA", 636: "LR", 538: "MH", 563: "SG",
        566: "SG", 273: "RU", 431: "JP", 432: "JP", 574: "VN", 533: "MY", 525: "ID",
        548: "PH", 219: "DK", 220: "DK", 265: "SE", 266: "SE", 232: "GB", 235: "GB",
        366: "US", 369: "US", 338: "US",
    }
    for mid, iso2 in expected.items():
        got = ic.mid_country(mid * 1_000_000 + 123)
        assert got is not None and got[0] == iso2, mid
    table = ic.mid_table()
    assert table["mid"].is_unique().all()
    assert table["iso2"].str.contains(r"^[A-Z]{2}$").all()
    assert len(ic.allocated_mids()) == table.height > 280
    assert ic.mid_country(123_456_789) is None
    assert ic.mid_country(0) is None
    assert ic.mid_country(992_351_234) == ("GB", "United Kingdom")  # AtoN 99 + MID 235
    assert ic.mid_country(111_111_111) is None  # SAR format, MID 111 unallocated
    assert ic.embedded_mid(2_573_000) == 257  # coast station 00MIDxxxx


def test_output_conforms() -> None:
    rows: list[dict[str, object]] = [
        {"mmsi": MMSI, "timestamp": T0, "name": "A", "imo": 9074729, "flag": "KP"},
        {"mmsi": MMSI + 1, "timestamp": T0 + H, "name": "B", "imo": 9074729},
        {"mmsi": MMSI, "timestamp": T0 + 2 * H, "name": "C"},
    ]
    data = detection_input(track(MMSI, 30.0, 125.0, hours=3), vessel_reports=reports(rows))
    ev = ic.detect(data, ic.Params())
    assert set(ev.columns) <= set(EVENTS.names)
    assert ev_subtypes(ev) == {"name", "shared_imo", "mid_flag_mismatch"}
    assert ev["event_id"].to_list() == ic.detect(data, ic.Params())["event_id"].to_list()
    with pytest.raises(ValueError):
        ic.Params(fields=("colour",))


def test_imo_on_many_mmsis_is_treated_as_a_default() -> None:
    rows: list[dict[str, object]] = [
        {"mmsi": MMSI + i, "timestamp": T0 + i * H, "imo": 9074729} for i in range(11)
    ]
    assert "shared_imo" not in ev_subtypes(_run(rows))
    ev = _run(rows, params=ic.Params(max_imo_mmsi_count=11))
    assert ev.filter(pl.col("subtype") == "shared_imo").height == 55


def test_tuple_parameter_accepts_comma_separated_text() -> None:
    assert ic.Params(fields="name, imo").fields == ("name", "imo")  # type: ignore[arg-type]


def test_nearest_position_only_sorts_the_frames_vessels_and_keeps_their_order() -> None:
    from polars.testing import assert_frame_equal

    # two tracks of one MMSI with positions at the same instants, and a vessel not asked for
    a = track(412000001, 31.0, 123.0, hours=2)
    b = track(412000001, 33.0, 123.0, hours=2, first_record=1000)
    c = track(412000002, 35.0, 123.0, hours=2, first_record=2000)
    tracks = detection_input(a, b, c).tracks
    assert tracks["track_id"].n_unique() == 3
    frame = pl.DataFrame({
        "mmsi": [412000001, 412000003, 412000001, 412000002],
        "start_time": [T0 + timedelta(minutes=m) for m in (30, 30, 0, 200)],
    })

    def former(time_col: str, **kw: str) -> pl.DataFrame:
        lat, lon = kw.get("lat_col", "lat"), kw.get("lon_col", "lon")
        pos = tracks.select(pl.col("mmsi").alias("__pos_mmsi"), pl.col("timestamp").alias(
            "__pos_ts"), pl.col("lat").alias(lat), pl.col("lon").alias(lon)).sort("__pos_ts")
        out = frame.with_row_index("__row").sort(time_col).join_asof(
            pos, left_on=time_col, right_on="__pos_ts", by_left="mmsi", by_right="__pos_mmsi",
            strategy="nearest", check_sortedness=False)
        return out.with_columns(pl.col(lat).fill_null(float("nan")),
                                pl.col(lon).fill_null(float("nan"))).sort("__row").drop(
            "__row", "__pos_ts")

    got = ic.nearest_position(frame, tracks, time_col="start_time")
    assert_frame_equal(got, former("start_time"))
    assert got["lat"][1] != got["lat"][1]  # NaN: no position for 412000003
    empty = ic.nearest_position(frame.clear(), tracks, time_col="start_time")
    assert empty.columns == got.columns and empty.height == 0
