"""Data-quality checks: identifier formats, stale records, duplicate transponders, impossible
values. Their findings are category quality, never behaviour."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import polars as pl

from sanctionwatch.detectors import detectors
from sanctionwatch.detectors.base import registry
from sanctionwatch.detectors.stale_record import stale_mask
from sanctionwatch.tracks import prepare_tracks
from tests.factory import T0, detection_input, positions, reports, track

MMSI = 412_000_001
US = 368_018_310


def _run(name: str, *frames: pl.DataFrame, vessel_reports: pl.DataFrame | None = None,
         params: object = None) -> pl.DataFrame:
    data = detection_input(*frames, vessel_reports=vessel_reports)
    return registry()[name].run(data, params)  # type: ignore[arg-type]


def _details(row: dict[str, object]) -> dict[str, object]:
    return dict(json.loads(str(row["details"])))


def test_checks_are_quality_category() -> None:
    for name in ("invalid_mmsi", "invalid_imo", "stale_record", "duplicate_transponder",
                 "impossible_value"):
        assert detectors()[name].category == "quality"
        assert detectors()[name].event_type == name


def test_invalid_mmsi() -> None:
    frames = [
        track(123_456_789, 30.0, 126.0, hours=1),
        track(0, 30.0, 126.5, hours=1),
        track(111_111_111, 30.0, 127.0, hours=1),
        track(200_000_001, 30.0, 127.2, hours=1),  # ship format, MID 200 unallocated
        track(MMSI, 30.0, 127.5, hours=1),
        track(992_351_234, 30.0, 128.0, hours=1),  # UK aid to navigation: valid
    ]
    ev = _run("invalid_mmsi", *frames)
    got = {r["mmsi"]: (r["subtype"], _details(r)["station_type"]) for r in ev.iter_rows(named=True)}
    assert got == {0: ("zero", "invalid_identity"),
                   111_111_111: ("placeholder", "invalid_identity"),
                   123_456_789: ("placeholder", "invalid_identity"),
                   200_000_001: ("unallocated_mid", "ship")}
    zero = ev.filter(pl.col("mmsi") == 0).row(0, named=True)
    assert zero["start_time"] == T0 and zero["end_time"] == T0 + timedelta(hours=1)
    assert zero["n_positions"] == 7
    assert zero["evidence"][0] == "test.csv:1" and len(zero["evidence"]) == 7


def test_invalid_mmsi_shared_by_many_craft_is_reported_once() -> None:
    craft = [track(0, 30.0 + 3 * i, 125.0, hours=2, source=f"c{i}.csv") for i in range(4)]
    ev = _run("invalid_mmsi", *craft)
    assert ev.height == 1 and ev["n_positions"][0] == 4 * 13


def test_invalid_imo_names_uscg_numbers() -> None:
    rep = reports([
        {"mmsi": MMSI, "timestamp": T0, "imo": 1234568},  # check digit should be 7
        {"mmsi": MMSI, "timestamp": T0 + timedelta(hours=1), "imo": 1234568},
        {"mmsi": MMSI, "timestamp": T0 + timedelta(hours=2), "imo": 9074729},  # valid
        {"mmsi": MMSI + 1, "timestamp": T0, "imo": 1234567},  # placeholder, passes the check
        {"mmsi": MMSI + 2, "timestamp": T0, "imo": 0},  # not available
        {"mmsi": US, "timestamp": T0, "imo": 1_234_568},  # a USCG official number
        {"mmsi": US + 1, "timestamp": T0, "imo": 652_123},
        {"mmsi": US + 2, "timestamp": T0, "imo": 9_074_729},  # a US ship with a real IMO
        {"mmsi": US + 3, "timestamp": T0, "imo": 1_001_089_558},
        {"mmsi": US + 4, "timestamp": T0, "imo": 39},  # no official number is that short
        {"mmsi": MMSI + 3, "timestamp": T0, "imo": 907_472_900},  # 9074729 x 100
    ])
    ev = _run("invalid_imo", track(MMSI, 30.0, 125.0, hours=3), vessel_reports=rep)
    got = {(r["mmsi"], r["new_value"]): r for r in ev.iter_rows(named=True)}
    assert {k: v["subtype"] for k, v in got.items()} == {
        (MMSI, "1234568"): "check_digit", (MMSI + 1, "1234567"): "placeholder",
        (US, "1234568"): "uscg_documentation_number",
        (US + 1, "652123"): "uscg_documentation_number",
        (US + 3, "1001089558"): "wrong_length", (US + 4, "39"): "wrong_length",
        (MMSI + 3, "907472900"): "imo_times_100"}
    bad = got[(MMSI, "1234568")]
    assert bad["evidence"] == ["test.csv:1", "test.csv:2"]
    assert (bad["lat"], bad["lon"]) == (30.0, 125.0)
    assert _details(bad)["n_reports"] == 2
    assert np.isnan(got[(MMSI + 1, "1234567")]["lat"])  # this MMSI sent no position


def _stale_case() -> list[pl.DataFrame]:
    """T0 is midnight: two positions stamped 00:00:00 and 00:00:01 far from the track that
    starts at 00:00:01 (a daily file's stale records), one at 00:00:00 on the track."""
    t = track(MMSI, 30.0, 125.0, start=T0 + timedelta(seconds=1), hours=2, source="d.csv")
    stale = positions([
        {"mmsi": MMSI, "timestamp": T0, "lat": 31.8, "lon": 125.0, "source": "d.csv",
         "record": 900},
        {"mmsi": MMSI, "timestamp": T0 + timedelta(seconds=1), "lat": 31.0, "lon": 124.0,
         "source": "d.csv", "record": 901},
        {"mmsi": MMSI, "timestamp": T0, "lat": 30.0, "lon": 125.001, "source": "d.csv",
         "record": 902},
    ])
    return [t, stale]


def test_stale_records_at_day_start() -> None:
    ev = _run("stale_record", *_stale_case())
    assert ev.height == 1
    row = ev.row(0, named=True)
    assert row["evidence"] == ["d.csv:900", "d.csv:901"]
    assert row["n_positions"] == 2 and row["subtype"] == "day_start_stamp"
    assert (row["end_lat"], row["end_lon"]) == (30.0, 125.001)  # record 902, on the track
    assert row["distance_km"] > 150
    prepared = prepare_tracks(pl.concat(_stale_case()))
    assert int(stale_mask(prepared.tracks).sum()) == 2


def test_stale_mask_does_not_depend_on_row_order() -> None:
    # prepared tracks (sorted by track) take a shortcut; any other row order the general
    # path: the same rows are stale
    other = track(MMSI + 1, 20.0, 120.0, start=T0 - timedelta(hours=1), hours=3, source="d.csv")
    tracks = prepare_tracks(pl.concat([*_stale_case(), other])).tracks
    mask = stale_mask(tracks)
    assert int(mask.sum()) == 2
    order = np.random.default_rng(1).permutation(tracks.height)
    assert (stale_mask(tracks[order]) == mask[order]).all()


def test_stale_record_rule_is_local_to_the_day_start() -> None:
    t, stale = _stale_case()
    later = stale.with_columns(pl.col("timestamp") + timedelta(seconds=61))
    assert _run("stale_record", t, later).height == 0
    off = registry()["stale_record"].params_type(day_start_window_s=0.0)
    assert _run("stale_record", t, stale, params=off).height == 0


def _flapping(values: list[float], step_min: float = 3.0, field: str = "draught_m",
              mmsi: int = MMSI) -> pl.DataFrame:
    return reports([{"mmsi": mmsi, "timestamp": T0 + timedelta(minutes=step_min * i),
                     field: v} for i, v in enumerate(values)])


def test_duplicate_transponder_draught_flapping() -> None:
    rep = _flapping([11.2, 11.2, 8.6, 11.2, 8.6, 11.2, 8.6, 8.6])  # GARDEN STATE's pattern
    ev = _run("duplicate_transponder", track(MMSI, 30.0, 125.0, hours=1), vessel_reports=rep)
    assert ev.height == 1
    row = ev.row(0, named=True)
    d = _details(row)
    assert (row["subtype"], d["value_a"], d["value_b"], d["n_returns"]) == (
        "draught", 11.2, 8.6, 4)
    assert row["evidence"] == ["test.csv:1", "test.csv:3", "test.csv:4", "test.csv:5",
                               "test.csv:6", "test.csv:7"]


def test_real_changes_are_no_duplicate_transponder() -> None:
    loaded = _flapping([4.0, 12.0])  # loaded once
    corrected = _flapping([8.6, 86.0, 8.6])  # a typing error corrected: one return
    slow = _flapping([8.6, 11.2, 8.6, 11.2], step_min=24 * 60)  # a shuttle tanker, daily
    for rep in (loaded, corrected, slow):
        assert _run("duplicate_transponder", track(MMSI, 30.0, 125.0, hours=1),
                    vessel_reports=rep).height == 0
    width = _flapping([30.0, 32.0, 30.0, 32.0], field="width_m")
    ev = _run("duplicate_transponder", track(MMSI, 30.0, 125.0, hours=1), vessel_reports=width)
    assert ev["subtype"].to_list() == ["width"]


def test_impossible_values() -> None:
    rep = reports([
        {"mmsi": MMSI, "timestamp": T0, "draught_m": 25.5, "length_m": 250.0, "width_m": 40.0},
        {"mmsi": MMSI + 1, "timestamp": T0, "draught_m": 12.0, "length_m": 510.0},
        {"mmsi": MMSI + 2, "timestamp": T0, "width_m": 140.0},
        {"mmsi": MMSI + 3, "timestamp": T0, "draught_m": 24.5, "length_m": 458.0,
         "width_m": 69.0},  # the largest ships are possible
    ])
    fast = track(MMSI, 30.0, 125.0, hours=1).with_columns(
        pl.when(pl.col("record") == 3).then(102.2).otherwise(0.0).cast(pl.Float32)
        .alias("sog_knots"))
    sentinels = positions([
        {"mmsi": MMSI, "timestamp": T0 + timedelta(minutes=5), "lat": 0.0, "lon": 0.0,
         "source": "s.csv", "record": 1},
        {"mmsi": MMSI, "timestamp": T0 + timedelta(minutes=15), "lat": 91.0, "lon": 181.0,
         "source": "s.csv", "record": 2},  # AIS "not available": legitimate
    ])
    ev = _run("impossible_value", fast, sentinels, vessel_reports=rep)
    got = {(r["mmsi"], r["subtype"]): r for r in ev.iter_rows(named=True)}
    assert set(got) == {(MMSI, "draught"), (MMSI, "speed"), (MMSI, "null_island"),
                        (MMSI + 1, "length"), (MMSI + 2, "width")}
    assert got[(MMSI, "speed")]["evidence"] == ["test.csv:3"]
    assert _details(got[(MMSI, "speed")])["value"] > 102
    assert got[(MMSI, "null_island")]["evidence"] == ["s.csv:1"]
    assert (got[(MMSI, "null_island")]["lat"], got[(MMSI, "null_island")]["lon"]) == (30.0, 125.0)
    off = registry()["impossible_value"].params_type(removed_positions=False)
    assert (MMSI, "null_island") not in {
        (r["mmsi"], r["subtype"])
        for r in _run("impossible_value", fast, sentinels, vessel_reports=rep,
                      params=off).iter_rows(named=True)}
