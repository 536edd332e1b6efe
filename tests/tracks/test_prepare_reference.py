"""prepare_tracks' shortcuts (one full sort, duplicate hashing on time ties only) give what
the straightforward version gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.geo import KNOT_M_PER_S, haversine_m
from sanctionwatch.schema import POSITIONS
from sanctionwatch.tracks import PrepareParams, prepare_tracks
from sanctionwatch.tracks.prepare import TRACKS_PER_MMSI, _greedy_segments, _haversine1


def _reference(positions: pl.DataFrame, p: PrepareParams) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The former implementation: three sorts and a hash of every row."""
    df = POSITIONS.conform(positions).with_columns(
        pl.when(pl.col("sog_knots") >= 102.25).then(None).otherwise(pl.col("sog_knots"))
        .alias("sog_knots"),
        pl.when(pl.col("cog_deg") >= 360).then(None).otherwise(pl.col("cog_deg")).alias("cog_deg"),
        pl.when(pl.col("heading_deg") >= 360).then(None).otherwise(pl.col("heading_deg"))
        .alias("heading_deg"),
    )
    reason = (
        pl.when((pl.col("lat") == 91) | (pl.col("lon") == 181))
        .then(pl.lit("position_not_available"))
        .when((pl.col("lat").abs() > 90) | (pl.col("lon").abs() > 180) | pl.col("lat").is_nan()
              | pl.col("lon").is_nan()).then(pl.lit("position_out_of_range"))
        .when((pl.col("lat") == 0) & (pl.col("lon") == 0)).then(pl.lit("null_island"))
        .otherwise(None)
    )
    df = df.with_columns(reason.alias("reason"))
    bad = df.filter(pl.col("reason").is_not_null())
    good = df.filter(pl.col("reason").is_null()).sort(["mmsi", "timestamp", "source", "record"])
    dup = good.select(pl.struct(["mmsi", "timestamp", "lat", "lon"]).is_first_distinct().not_()
                      ).to_series()
    dups = good.filter(dup).with_columns(pl.lit("duplicate").alias("reason"))
    good = good.filter(~dup).drop("reason")
    removed = pl.concat([bad, dups], how="vertical").sort(["source", "record"])
    if good.height == 0:
        return good.with_columns(pl.lit(None, dtype=pl.Int64).alias("track_id")), removed
    mmsi = good["mmsi"].to_numpy()
    t = good["timestamp"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    lat, lon = good["lat"].to_numpy(), good["lon"].to_numpy()
    same = np.zeros(len(mmsi), dtype=bool)
    same[1:] = mmsi[1:] == mmsi[:-1]
    dist = np.zeros(len(mmsi))
    dist[1:] = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    dt = np.zeros(len(mmsi))
    dt[1:] = t[1:] - t[:-1]
    jump = same & (dist > p.noise_m + p.max_speed_knots * KNOT_M_PER_S * dt)
    track = np.zeros(len(mmsi), dtype=np.int64)
    for m in np.unique(mmsi[jump]):
        s, e = np.searchsorted(mmsi, m, "left"), np.searchsorted(mmsi, m, "right")
        track[s:e] = _greedy_segments(t[s:e], lat[s:e], lon[s:e], p)
    tid = mmsi.astype(np.int64) * TRACKS_PER_MMSI + np.minimum(track, TRACKS_PER_MMSI - 1)
    tracks = good.with_columns(pl.Series("track_id", tid, dtype=pl.Int64)).sort(
        ["track_id", "timestamp", "source", "record"])
    return tracks, removed


def _random_positions(seed: int, n: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    t0 = datetime(2019, 3, 1, tzinfo=UTC)
    mmsi = rng.integers(1, 8, n) + 412_000_000  # ship MMSIs: other stations leave first
    secs = rng.integers(0, 400, n) * 30  # many exact time ties
    lat = np.round(rng.uniform(30, 40, n), 1)  # jumps, and equal positions
    lon = np.round(rng.uniform(120, 130, n), 1)
    lat[rng.random(n) < 0.05] = 91.0
    lat[rng.random(n) < 0.02] = -0.0
    lon[rng.random(n) < 0.02] = 0.0
    lat[rng.random(n) < 0.01] = np.nan
    return POSITIONS.conform(pl.DataFrame({
        "source": rng.choice(["a.csv", "b.csv"], n),
        "record": rng.integers(1, 50, n),
        "mmsi": mmsi,
        "timestamp": [t0 + timedelta(seconds=int(s)) for s in secs],
        "lat": lat, "lon": lon,
        "sog_knots": rng.choice([1.0, 102.3, 110.0], n),
    }))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("n", [0, 1, 5, 60, 2000])
def test_prepare_matches_reference(seed: int, n: int) -> None:
    pos = _random_positions(seed, n)
    for params in (PrepareParams(), PrepareParams(max_speed_knots=1e6, noise_m=1e9),
                   PrepareParams(max_speed_knots=0.001, noise_m=0)):
        got = prepare_tracks(pos, params)
        tracks, removed = _reference(pos, params)
        assert_frame_equal(got.tracks, tracks)
        assert_frame_equal(got.removed, removed)


def test_more_tracks_than_ids_keep_time_order() -> None:
    # TRACKS_PER_MMSI tracks collapse into the last id: they stay in time order.
    n = TRACKS_PER_MMSI + 50
    t0 = datetime(2019, 3, 1, tzinfo=UTC)
    pos = POSITIONS.conform(pl.DataFrame({
        "source": ["a"] * n, "record": list(range(n)), "mmsi": [412_000_005] * n,
        "timestamp": [t0 + timedelta(seconds=i) for i in range(n)],
        "lat": [(i * 7) % 80 for i in range(n)], "lon": [(i * 13) % 170 for i in range(n)],
    }))
    params = PrepareParams(max_speed_knots=0.001, noise_m=0)
    got = prepare_tracks(pos, params)
    tracks, removed = _reference(pos, params)
    assert_frame_equal(got.tracks, tracks)
    assert_frame_equal(got.removed, removed)


def _ingested_like(seed: int, n: int, *, by_vessel: bool) -> pl.DataFrame:
    """Rows as ingest writes them: unique ``source, record``, in time order per file or vessel
    by vessel, with positions heard twice (same MMSI and time) by two receivers."""
    rng = np.random.default_rng(seed)
    t0 = datetime(2019, 3, 1, tzinfo=UTC)
    mmsi = rng.integers(1, 9, n) + 412_000_000
    secs = np.sort(rng.integers(0, 3000, n)) * 10
    lat = np.round(rng.uniform(30, 30.5, n), 2)
    lon = np.round(rng.uniform(120, 120.5, n), 2)
    twice = rng.random(n) < 0.2  # heard again, sometimes with another position
    moved = twice & (rng.random(n) < 0.3)
    mmsi = np.r_[mmsi, mmsi[twice]]
    secs = np.r_[secs, secs[twice]]
    lat = np.r_[lat, np.where(moved, lat + 0.5, lat)[twice]]
    lon = np.r_[lon, lon[twice]]
    order = np.lexsort((secs, mmsi)) if by_vessel else np.argsort(secs, kind="stable")
    source = np.where(rng.random(order.size) < 0.5, "a.csv", "b.csv")
    return POSITIONS.conform(pl.DataFrame({
        "source": source,
        "record": np.arange(order.size),
        "mmsi": mmsi[order],
        "timestamp": [t0 + timedelta(seconds=int(s)) for s in secs[order]],
        "lat": lat[order], "lon": lon[order],
    }))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("by_vessel", [False, True])
@pytest.mark.parametrize("swapped", [False, True])
def test_prepare_matches_reference_on_ingested_row_order(
    seed: int, by_vessel: bool, swapped: bool
) -> None:
    # the shortcut for rows already in time order per MMSI, and its tie handling; with two
    # rows swapped out of time order, the full sort
    pos = _ingested_like(seed, 3000, by_vessel=by_vessel)
    if swapped:
        rows = np.arange(pos.height)
        rows[[10, 2000]] = rows[[2000, 10]]
        pos = pos[rows]
    for params in (PrepareParams(), PrepareParams(max_speed_knots=0.001, noise_m=0)):
        got = prepare_tracks(pos, params)
        tracks, removed = _reference(pos, params)
        assert_frame_equal(got.tracks, tracks)
        assert_frame_equal(got.removed, removed)
        assert removed.height > 0


def _greedy_reference(t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                      p: PrepareParams) -> np.ndarray:
    """The greedy track assignment without shortcuts: every open track tested by haversine,
    most recently updated first."""
    last: list[tuple[float, float, float]] = []
    order: list[int] = []
    seg = np.empty(len(t), dtype=np.int64)
    max_mps = p.max_speed_knots * KNOT_M_PER_S
    for i in range(len(t)):
        best = next((k for k in order
                     if _haversine1(float(lat[i]), float(lon[i]), last[k][1], last[k][2])
                     <= p.noise_m + max_mps * (float(t[i]) - last[k][0])), -1)
        if best < 0:
            best = len(last)
            last.append((float(t[i]), float(lat[i]), float(lon[i])))
        else:
            last[best] = (float(t[i]), float(lat[i]), float(lon[i]))
            order.remove(best)
        order.insert(0, best)
        seg[i] = best
    return seg


@pytest.mark.parametrize("seed", range(4))
def test_greedy_segments_equal_the_plain_haversine_test(seed: int) -> None:
    # positions at all scales: far apart, metres apart, a hair apart, exactly repeated, and
    # at exactly the reach (the bound that skips the trigonometry must never decide otherwise)
    rng = np.random.default_rng(seed)
    n = 600
    t = np.sort(rng.integers(0, 36_000, n)).astype(np.float64)
    lat = 35.0 + rng.choice([10.0, 1e-2, 1e-5, 1e-9, 0.0], n) * rng.standard_normal(n)
    lon = 125.0 + rng.choice([10.0, 1e-2, 1e-5, 0.0], n) * rng.standard_normal(n)
    lat[5::50] = lat[4::50][: lat[5::50].size]  # repeats
    for p in (PrepareParams(), PrepareParams(max_speed_knots=0.001, noise_m=0),
              PrepareParams(max_speed_knots=1.0, noise_m=0.5)):
        assert np.array_equal(_greedy_segments(t, lat, lon, p),
                              _greedy_reference(t, lat, lon, p))
    # two points exactly one degree of latitude apart, with exactly that reach
    one_deg = _haversine1(35.0, 125.0, 36.0, 125.0)
    p = PrepareParams(max_speed_knots=1.0, noise_m=one_deg)
    t2, la2, lo2 = np.array([0.0, 0.0]), np.array([35.0, 36.0]), np.array([125.0, 125.0])
    assert np.array_equal(_greedy_segments(t2, la2, lo2, p),
                          _greedy_reference(t2, la2, lo2, p))
