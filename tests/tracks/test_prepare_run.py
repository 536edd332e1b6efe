"""prepare_run (the memory engine's context and tracks in one pass, sharing one sort) gives what
run_context and prepare_tracks give apart, and the stays of the places are those of the plain
Polars formulation, whatever order the rows come in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.schema import POSITIONS
from sanctionwatch.stations import unique_inverse
from sanctionwatch.tracks import PrepareParams, prepare_tracks
from sanctionwatch.tracks.context import (
    prepare_run,
    run_context,
    ship_mmsi_expr,
    valid_position_expr,
)
from sanctionwatch.tracks.places import _stays, _stays_lazy
from sanctionwatch.tracks.prepare import mmsi_time_order

SHIPS = np.arange(412_000_001, 412_000_009)
OTHERS = np.array([2_320_001, 992_351_001, 123_456_789, 111_232_001])  # coast, AtoN, ...


def _positions(seed: int, n: int, layout: str) -> pl.DataFrame:
    """Ship and other stations' positions around one harbour: slow and fast, moored and at
    anchor, exact time ties and duplicates, sentinel positions, two files a year apart."""
    rng = np.random.default_rng(seed)
    t0 = datetime(2019, 3, 1, tzinfo=UTC)
    mmsi = np.where(rng.random(n) < 0.9, rng.choice(SHIPS, n), rng.choice(OTHERS, n))
    secs = rng.integers(0, 3000, n) * 30  # many exact time ties, some 6 h silences
    late = rng.random(n) < 0.2
    secs[late] += 365 * 86400
    lat = 33.0 + np.round(rng.normal(0, 0.002, n), 4)  # within a few hundred metres
    lon = 128.0 + np.round(rng.normal(0, 0.002, n), 4)
    far = rng.random(n) < 0.03  # an impossible jump now and then
    lat[far] += 1.0
    lat[rng.random(n) < 0.02] = 91.0
    lon[rng.random(n) < 0.01] = 0.0
    lat[lon == 0.0] = 0.0
    df = POSITIONS.conform(pl.DataFrame({
        "source": np.where(late, "b.csv", "a.csv"),
        "record": np.arange(n),
        "mmsi": mmsi,
        "timestamp": [t0 + timedelta(seconds=int(s)) for s in secs],
        "lat": lat, "lon": lon,
        "sog_knots": rng.choice([0.0, 0.2, 0.4, 3.0, 12.0, 102.3, None], n).astype(float),
        "nav_status": rng.choice([0, 1, 5], n).astype(np.int8),
        # a ship MMSI sending a base-station report is that station
        "msg_type": np.where(mmsi == SHIPS[0], 4, 1).astype(np.int8),
    }))
    # the same positions heard again (another receiver's record)
    again = df.sample(n // 20, seed=seed).with_columns(pl.col("record") + n)
    df = pl.concat([df, again])
    if layout == "time":
        return df.sort("timestamp", maintain_order=True)
    if layout == "vessel":
        return df.sort("mmsi", "timestamp", maintain_order=True)
    return df.sample(fraction=1.0, shuffle=True, seed=seed)


def _spans(df: pl.DataFrame) -> pl.DataFrame:
    return df.group_by("source").agg(pl.col("timestamp").min().alias("start"),
                                     pl.col("timestamp").max().alias("end")).sort("source")


@pytest.mark.parametrize("layout", ["time", "vessel", "shuffled"])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [0, 1, 40, 3000])
def test_prepare_run_is_run_context_and_prepare_tracks(seed: int, n: int, layout: str) -> None:
    df = _positions(seed, n, layout)
    p = PrepareParams(place_min_vessels=2, place_min_stationary_h=0.5)
    context = run_context(df.lazy(), _spans(df), p)
    prepared = prepare_tracks(df, p, context.spans)
    # in several chunks, as ingest hands them over
    chunks = pl.concat([df.slice(0, n // 3), df.slice(n // 3)], rechunk=False)
    got_context, got = prepare_run(chunks, _spans(df), p)
    for name in ("spans", "coverage", "places"):
        assert_frame_equal(getattr(got_context, name), getattr(context, name))
    assert_frame_equal(got.tracks, prepared.tracks)
    assert_frame_equal(got.removed, prepared.removed)
    if n == 3000:
        assert got.removed["reason"].str.starts_with("station:").any()
        assert (got.removed["reason"] == "duplicate").any()
        assert got_context.places.height > 0
        assert got.tracks["track_id"].n_unique() > got.tracks["mmsi"].n_unique()


@pytest.mark.parametrize("layout", ["time", "vessel", "shuffled"])
@pytest.mark.parametrize("seed", range(4))
def test_stays_are_those_of_the_polars_formulation(seed: int, layout: str) -> None:
    ships = _positions(seed, 4000, layout).lazy().filter(valid_position_expr() & ship_mmsi_expr())
    for p in (PrepareParams(), PrepareParams(place_speed_knots=5.0, place_min_stationary_h=0.2,
                                             place_cell_m=2000.0)):
        got = _stays(ships, p).sort("mmsi", "lat", "lon", "hours")
        want = _stays_lazy(ships, p).sort("mmsi", "lat", "lon", "hours")
        assert got.height > 0
        assert_frame_equal(got, want, check_dtypes=False)


@pytest.mark.parametrize("n_mmsi", [5, 70_000])
def test_mmsi_time_order_sorts_by_mmsi_time_and_row(n_mmsi: int) -> None:
    rng = np.random.default_rng(n_mmsi)
    n = 3 * n_mmsi
    mmsi = rng.integers(200_000_000, 200_000_000 + n_mmsi, n)
    for t in (np.sort(rng.integers(0, 50, n)), rng.integers(0, 50, n)):  # in time order or not
        uniq, inverse = unique_inverse(mmsi)
        np.testing.assert_array_equal(uniq, np.unique(mmsi))
        rows = np.flatnonzero(rng.random(n) < 0.7)
        want = rows[np.lexsort((rows, t[rows], mmsi[rows]))]
        np.testing.assert_array_equal(mmsi_time_order(inverse, uniq.size, t, rows), want)
        np.testing.assert_array_equal(mmsi_time_order(inverse, uniq.size, t, None),
                                      np.lexsort((np.arange(n), t, mmsi)))
