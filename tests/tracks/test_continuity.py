"""Input continuity: files far apart in time are separate blocks, and no track, gap, visit or
report comparison bridges two blocks."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from sanctionwatch.detectors import draught_change, identity_change
from sanctionwatch.detectors.base import DetectionInput
from sanctionwatch.tracks import PrepareParams, prepare_tracks
from sanctionwatch.tracks.context import run_context
from sanctionwatch.tracks.continuity import block_index, input_blocks, with_blocks
from sanctionwatch.tracks.prepare import TRACKS_PER_MMSI
from tests.factory import T0, open_sea_reference, reports, track

MMSI = 355_920_000


def _spans(*rows: tuple[str, float, float]) -> pl.DataFrame:
    """``(source, start_h, end_h)`` rows, hours after T0."""
    return pl.DataFrame({
        "source": [r[0] for r in rows],
        "start": [T0 + timedelta(hours=r[1]) for r in rows],
        "end": [T0 + timedelta(hours=r[2]) for r in rows],
    })


def test_abutting_and_overlapping_files_are_one_block_distant_ones_are_not() -> None:
    spans = _spans(("d1", 0, 23.99), ("d2", 24, 47.9), ("other", 10, 30),
                   ("next_year", 24 * 365, 24 * 365 + 5), ("late", 50, 60))
    out = with_blocks(spans, 1.0)
    assert out["source"].to_list() == spans["source"].to_list()  # input order kept
    assert out["block"].to_list() == [0, 0, 0, 2, 1]
    blocks = input_blocks(out, 1.0)
    assert blocks["start"].to_list() == [T0, T0 + timedelta(hours=50),
                                         T0 + timedelta(hours=24 * 365)]
    # a file starting 2 h after the others ended is a new block; with a 3 h join it is not
    assert with_blocks(_spans(("a", 0, 10), ("b", 12, 20)), 1.0)["block"].to_list() == [0, 1]
    assert with_blocks(_spans(("a", 0, 10), ("b", 12, 20)), 3.0)["block"].to_list() == [0, 0]
    times = pl.Series([T0 - timedelta(hours=1), T0 + timedelta(hours=55),
                       T0 + timedelta(days=400)])
    assert block_index(times, blocks).tolist() == [0, 1, 2]


def _two_years() -> pl.DataFrame:
    old = track(MMSI, 31.0, 124.0, hours=2, source="2021.csv")
    new = track(MMSI, 31.0, 124.0, hours=2, start=T0 + timedelta(days=400), source="2022.csv",
                first_record=100)
    return pl.concat([old, new])


def test_an_mmsi_heard_in_two_years_gets_a_track_per_year() -> None:
    pos = _two_years()
    ctx = run_context(pos.lazy(), _spans(("2021.csv", 0, 2), ("2022.csv", 9600, 9602)))
    tracks = prepare_tracks(pos, spans=ctx.spans).tracks
    per_track = tracks.group_by("track_id").agg(pl.col("source").unique())
    assert sorted(per_track["track_id"]) == [MMSI * TRACKS_PER_MMSI, MMSI * TRACKS_PER_MMSI + 1]
    assert all(len(s) == 1 for s in per_track["source"])
    # without the run's spans the input is one block: one track, as before
    assert prepare_tracks(pos).tracks["track_id"].n_unique() == 1


def test_split_by_block_and_by_impossible_jump_number_tracks_without_collision() -> None:
    # two ships sharing the MMSI 500 km apart, in both years
    far = [track(MMSI, 35.5, 124.0, hours=2, start=T0 + timedelta(days=d, minutes=5),
                 source=src, first_record=1000 + d) for d, src in ((0, "2021.csv"),
                                                                   (400, "2022.csv"))]
    pos = pl.concat([_two_years(), *far])
    spans = _spans(("2021.csv", 0, 2.1), ("2022.csv", 9600, 9602.1))
    tracks = prepare_tracks(pos, PrepareParams(), spans).tracks
    per_track = tracks.group_by("track_id").agg(pl.col("source").unique(),
                                                pl.col("lat").max().alias("lat"), pl.len())
    assert per_track.height == 4
    assert all(len(s) == 1 for s in per_track["source"])
    assert sorted(per_track["track_id"] - MMSI * TRACKS_PER_MMSI) == [0, 1, 2, 3]
    assert tracks["track_id"].is_sorted()


def _data(rep: pl.DataFrame, spans: pl.DataFrame | None) -> DetectionInput:
    pos = _two_years()
    return DetectionInput(tracks=prepare_tracks(pos, spans=spans).tracks,
                          reports=rep.sort("mmsi", "timestamp"),
                          reference=open_sea_reference(), input_spans=spans)


def _rep(name: str, draught: float, at_h: float, source: str) -> dict[str, object]:
    return {"mmsi": MMSI, "timestamp": T0 + timedelta(hours=at_h), "name": name,
            "draught_m": draught, "length_m": 120.0, "source": source}


SPANS = with_blocks(_spans(("2021.csv", 0, 2), ("2022.csv", 9600, 9602)), 1.0)


def test_identity_change_across_a_break_is_reported_and_marked() -> None:
    rep = reports([_rep("OLD NAME", 6.0, 0, "2021.csv"), _rep("NEW NAME", 6.0, 1, "2021.csv"),
                   _rep("THIRD NAME", 6.0, 9600.5, "2022.csv")])
    ev = identity_change.detect(_data(rep, SPANS), identity_change.Params(fields=("name",)))
    marks = [(row["new_value"], '"across_input_break":true' in row["details"])
             for row in ev.iter_rows(named=True)]
    assert marks == [("NEW NAME", False), ("THIRD NAME", True)]


@pytest.mark.parametrize("spans", [SPANS, None])
def test_draught_change_is_never_made_across_a_break(spans: pl.DataFrame | None) -> None:
    rep = reports([_rep("A", 6.0, 0, "2021.csv"), _rep("A", 9.0, 1, "2021.csv"),
                   _rep("A", 4.0, 9600.5, "2022.csv")])
    ev = draught_change.detect(_data(rep, spans), draught_change.Params())
    expected = [("6.0", "9.0")] if spans is not None else [("6.0", "9.0"), ("9.0", "4.0")]
    assert ev.select("old_value", "new_value").rows() == expected
