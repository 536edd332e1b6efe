"""What the detectors share: event ids, evidence, nearest positions, record order."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from sanctionwatch.detectors.common import (
    event_id,
    evidence_expr,
    nearest_position,
    tracks_in_record_order,
    unique_event_ids,
    with_event_ids,
)
from tests.factory import T0, detection_input, track


def test_event_ids_are_deterministic_and_keyed() -> None:
    frame = pl.DataFrame({
        "event_type": ["ais_gap", "ais_gap"], "mmsi": [1, 1], "other_mmsi": [None, None],
        "start_time": [T0, T0], "subtype": ["a", "b"],
    }, schema_overrides={"other_mmsi": pl.Int64})
    once = with_event_ids(frame, ["subtype"])
    assert once["event_id"].to_list() == with_event_ids(frame, ["subtype"])["event_id"].to_list()
    assert once["event_id"].n_unique() == 2
    assert with_event_ids(frame)["event_id"].n_unique() == 1  # without the key: one id
    assert len(event_id("ais_gap", 1, None, T0)) == 16
    tied = unique_event_ids(frame.with_columns(pl.lit("x").alias("subtype")), ["subtype"],
                            pl.int_range(pl.len()).cast(pl.Utf8))
    assert tied["event_id"].n_unique() == 2  # same keys: told apart by the tie key


def test_evidence_is_file_and_record() -> None:
    frame = pl.DataFrame({"source": ["a.csv"], "record": [12]})
    assert frame.select(evidence_expr()).item() == "a.csv:12"


def test_record_order_sorts_only_when_times_repeat() -> None:
    t = detection_input(track(412000001, 31.0, 123.0, hours=2)).tracks
    assert tracks_in_record_order(t) is t  # already in order: no copy
    twice = pl.concat([t, t.with_columns(pl.col("record") + 1000)]).sample(fraction=1.0,
                                                                          seed=1, shuffle=True)
    ordered = tracks_in_record_order(twice)
    assert ordered.select("track_id", "timestamp", "source", "record").equals(
        twice.select("track_id", "timestamp", "source", "record").sort(
            ["track_id", "timestamp", "source", "record"]))


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

    got = nearest_position(frame, tracks, time_col="start_time")
    assert_frame_equal(got, former("start_time"))
    assert got["lat"][1] != got["lat"][1]  # NaN: no position for 412000003
    empty = nearest_position(frame.clear(), tracks, time_col="start_time")
    assert empty.columns == got.columns and empty.height == 0
