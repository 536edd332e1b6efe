"""Receiver coverage: a silence is an ais_gap only where someone could have noticed it; the
rest are coverage_gap data-quality findings, with the reason as subtype."""

from __future__ import annotations

import json
from datetime import timedelta

import polars as pl
import pytest

from sanctionwatch.detectors import ais_gap, coverage_gap
from sanctionwatch.detectors.base import DetectionInput, registry
from sanctionwatch.detectors.reception import reception
from sanctionwatch.schema import VESSEL_REPORTS
from sanctionwatch.tracks import prepare_tracks
from sanctionwatch.tracks.context import context_inputs, run_context
from tests.factory import T0, open_sea_reference, positions, track

DARK = 412_000_001


def _dark_ship(gap_h: float = 14.0, *, interval_s: float = 600.0, lat: float = 30.0,
               lon: float = 125.0) -> pl.DataFrame:
    """Heard every ``interval_s`` for 12 h, silent for ``gap_h``, then heard for 4 h, a few
    km away (OFF and ON in one 1-degree cell)."""
    a = track(DARK, lat, lon, hours=12, interval_s=interval_s)
    b = track(DARK, lat + 0.1, lon + 0.3, start=T0 + timedelta(hours=12 + gap_h), hours=4,
              interval_s=interval_s, first_record=10_000)
    return pl.concat([a, b])


def _neighbour(mmsi: int, lat: float, lon: float, hours: float = 40.0, *,
               start_h: float = 0.0) -> pl.DataFrame:
    return track(mmsi, lat, lon, start=T0 + timedelta(hours=start_h), hours=hours,
                 interval_s=900, first_record=mmsi % 1000 * 1000)


def _data(*frames: pl.DataFrame) -> DetectionInput:
    """What an engine hands a detector: tracks plus the run's context built from all rows."""
    raw = pl.concat(frames)
    spans = raw.group_by("source").agg(pl.col("timestamp").min().alias("start"),
                                       pl.col("timestamp").max().alias("end"))
    ctx = run_context(raw.lazy(), spans)
    prepared = prepare_tracks(raw, spans=ctx.spans)
    return DetectionInput(tracks=prepared.tracks, reports=VESSEL_REPORTS.empty(),
                          reference=open_sea_reference(), removed=prepared.removed,
                          **context_inputs(ctx))


def _both(data: DetectionInput) -> tuple[pl.DataFrame, pl.DataFrame]:
    reg = registry()
    return reg["ais_gap"].run(data, None), reg["coverage_gap"].run(data, None)


def test_silence_while_neighbours_are_heard_is_a_likely_intentional_gap() -> None:
    gaps, cov = _both(_data(_dark_ship(), _neighbour(412_000_002, 30.4, 125.6),
                            _neighbour(412_000_003, 29.5, 124.2)))
    assert cov.height == 0
    assert gaps.height == 1
    row = gaps.row(0, named=True)
    assert row["likely_intentional"] is True
    d = json.loads(row["details"])
    assert d["nearby_heard_h"] == pytest.approx(14.0)
    assert d["feed_heard_h"] == pytest.approx(14.0)
    assert d["nearby_vessels"] == 2
    # 4 positions an hour of each neighbour, 9 cells around the (one) cell of both ends
    assert d["nearby_reception_per_day"] == pytest.approx(2 * 4 * 24 / 9)
    assert d["positions_after_12h"] == 25


def test_feed_wide_silence_is_a_coverage_gap_not_an_ais_gap() -> None:
    # every ship of the feed is silent from 12 h to 26 h (an outage, or rows stamped late);
    # the others' last positions before it are in the hour before the dark ship's OFF bin
    neighbours = [
        pl.concat([_neighbour(m, 30.3, 125.2, hours=11.5),
                   _neighbour(m, 30.3, 125.2, hours=6, start_h=26)])
        for m in (412_000_002, 412_000_003)
    ]
    gaps, cov = _both(_data(_dark_ship(), *neighbours))
    assert gaps.height == 0
    assert set(cov["mmsi"]) == {DARK, 412_000_002, 412_000_003}
    assert set(cov["subtype"]) == {"feed"}
    assert not cov["likely_intentional"].any()
    assert (cov["event_type"] == "coverage_gap").all()
    assert json.loads(cov.filter(pl.col("mmsi") == DARK)["details"][0])["feed_heard_h"] == 0


def test_silence_where_nobody_around_is_heard_is_an_area_coverage_gap() -> None:
    # the feed hears a ship 5 degrees away all along, nobody in the dark ship's area
    gaps, cov = _both(_data(_dark_ship(), _neighbour(412_000_002, 35.0, 130.0)))
    assert gaps.height == 0
    row = cov.row(0, named=True)
    assert (row["mmsi"], row["subtype"]) == (DARK, "area")
    d = json.loads(row["details"])
    assert d["feed_heard_h"] == pytest.approx(14.0)
    assert d["nearby_heard_h"] == 0


def test_neighbour_across_the_antimeridian_counts_as_nearby() -> None:
    gaps, cov = _both(_data(_dark_ship(lat=10.0, lon=179.5),
                            _neighbour(412_000_002, 10.0, -179.5)))
    assert cov.height == 0
    assert json.loads(gaps["details"][0])["nearby_heard_h"] == pytest.approx(14.0)


def test_ship_heard_too_rarely_for_its_silence_to_mean_anything_is_sparse() -> None:
    # one position every 6 h (a satellite-style feed); the neighbours are heard densely
    gaps, cov = _both(_data(_dark_ship(gap_h=10, interval_s=6 * 3600),
                            _neighbour(412_000_002, 30.2, 125.1)))
    dark = cov.filter(pl.col("mmsi") == DARK)
    assert gaps.filter(pl.col("mmsi") == DARK).height == 0
    # every 6 h interval is a silence of min_gap_h, and none is noticeable
    assert dark["subtype"].to_list() == ["sparse"] * 3
    d = json.loads(dark.filter(pl.col("duration_h") == 10)["details"][0])
    # 3 positions in the 12 h before (OFF included): 3/12 per hour x 10 heard hours
    assert d["expected_positions"] == pytest.approx(3 / 12 * 10)
    assert d["expected_positions"] < ais_gap.Params().min_expected_positions


def test_partly_heard_silence_is_a_gap_but_not_likely_intentional() -> None:
    # neighbours heard until 20:00, i.e. in the bins of 9 of the 14 silent hours (12:00 to
    # 21:00): observable (>= 6 h), but not for 12 h
    gaps, cov = _both(_data(_dark_ship(), _neighbour(412_000_002, 30.2, 125.1, hours=20)))
    dark = gaps.filter(pl.col("mmsi") == DARK)
    assert cov.filter(pl.col("mmsi") == DARK).height == 0
    assert dark.height == 1
    assert dark["likely_intentional"].to_list() == [False]
    assert json.loads(dark["details"][0])["nearby_heard_h"] == pytest.approx(9.0)


def test_every_silence_is_exactly_one_of_ais_gap_and_coverage_gap() -> None:
    data = _data(_dark_ship(), _neighbour(412_000_002, 35.0, 130.0, hours=12),
                 _neighbour(412_000_003, 30.1, 125.1, hours=4, start_h=30))
    everything = ais_gap.silences(data, ais_gap.Params())
    gaps, cov = _both(data)
    assert gaps.height + cov.height == everything.height
    assert set(gaps["event_id"]).isdisjoint(set(cov["event_id"]))


def test_reception_subtracts_the_silent_ship_itself() -> None:
    """In the bins of its own OFF and ON messages the silent ship is heard: it must not count
    as a neighbour that kept the area alive."""
    data = _data(_dark_ship())
    gaps = ais_gap.silences(data, ais_gap.Params())
    assert gaps["unobservable"].to_list() == ["feed"]
    assert json.loads(gaps["details"][0])["nearby_heard_h"] == 0


def test_without_coverage_only_the_ships_own_reporting_decides() -> None:
    sparse = positions([{"mmsi": DARK, "timestamp": T0 + timedelta(hours=h), "lat": 30.0,
                         "lon": 125.0, "source": "a.csv", "record": h} for h in (0, 8)])
    tracks = prepare_tracks(sparse).tracks
    data = DetectionInput(tracks=tracks, reports=VESSEL_REPORTS.empty(),
                          reference=open_sea_reference())
    gaps = reception(tracks.head(1).with_columns(
        pl.col("timestamp").alias("end_time"), pl.col("lat").alias("end_lat"),
        pl.col("lon").alias("end_lon")), None)
    assert gaps["nearby_heard_h"].to_list() == [None]
    cov = coverage_gap.detect(data, coverage_gap.Params())
    assert cov["subtype"].to_list() == ["sparse"]
    dense = ais_gap.detect(DetectionInput(
        tracks=prepare_tracks(_dark_ship()).tracks, reports=VESSEL_REPORTS.empty(),
        reference=open_sea_reference()), ais_gap.Params())
    assert dense["likely_intentional"].to_list() == [True]


def test_open_silence_is_judged_on_the_coverage_up_to_the_horizon() -> None:
    # the dark ship is last heard at 12 h; a neighbour is heard until 40 h (the horizon)
    data = _data(track(DARK, 30.0, 125.0, hours=12), _neighbour(412_000_002, 30.2, 125.1))
    p = ais_gap.Params(open_gaps=True)
    gaps = ais_gap.detect(data, p)
    dark = gaps.filter(pl.col("mmsi") == DARK)
    assert dark["subtype"].to_list() == ["open"]
    d = json.loads(dark["details"][0])
    assert d["nearby_heard_h"] == pytest.approx(28.0)
    assert d["positions_after_12h"] == 0
    # heard alone, its open silence is nobody's business but the feed's
    alone = _data(track(DARK, 30.0, 125.0, hours=12), _neighbour(412_000_002, 35.0, 131.0))
    cov = coverage_gap.detect(alone, coverage_gap.Params(open_gaps=True))
    assert cov.filter(pl.col("mmsi") == DARK)["subtype"].to_list() == ["area"]


def test_outage_of_the_ships_own_cell_is_coverage_even_if_cells_around_are_heard() -> None:
    """The messy scenario's area outage: the dark ship's own cell was busy (a ship heard there
    until the silence began) and then went quiet for the whole silence, while a ship in the
    next cell was heard throughout: the receiver of the ship's area was down."""
    same_cell = _neighbour(412_000_004, 30.5, 125.5, hours=12)  # heard until the silence
    next_cell = _neighbour(412_000_005, 31.5, 125.5)  # heard all along, one cell north
    gaps, cov = _both(_data(_dark_ship(), same_cell, next_cell))
    assert gaps.height == 0
    assert cov["subtype"].to_list() == ["area"]
    d = json.loads(cov["details"][0])
    assert d["cell_vessels_before"] >= 1 and d["cell_heard_h"] < 6


def test_own_cell_heard_part_of_the_silence_is_still_a_gap() -> None:
    """Ships meeting and going dark together quiet their cell for a while; another ship
    passing through it for a gap's length keeps the silence observable."""
    same_cell = _neighbour(412_000_004, 30.5, 125.5, hours=20)  # heard 8 h into the silence
    next_cell = _neighbour(412_000_005, 31.5, 125.5)
    gaps, cov = _both(_data(_dark_ship(), same_cell, next_cell))
    assert gaps.height == 1 and cov.height == 0
