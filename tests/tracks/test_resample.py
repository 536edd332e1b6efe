"""resample_tracks' shortcuts (no sort of sorted input, a cumulative count instead of a
search for the bracketing positions, the grid steps' haversine with shared cosines) give
exactly what the straightforward version gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.geo import KNOT_M_PER_S, haversine_m
from sanctionwatch.tracks.resample import (
    GRID_SCHEMA,
    _steps_m,
    _wrap180,
    interval_us,
    resample_tracks,
)


def _reference(tracks: pl.DataFrame, interval_min: float, max_gap_h: float) -> pl.DataFrame:
    """The former implementation: a sort, one ``searchsorted`` over a shifted time axis."""
    iv = interval_us(interval_min)
    half = iv // 2
    max_gap = round(max_gap_h * 3.6e9)
    df = tracks.select(
        pl.col("track_id").cast(pl.Int64), pl.col("mmsi").cast(pl.Int64),
        pl.col("timestamp").dt.epoch("us").alias("t"),
        pl.col("lat").cast(pl.Float64), pl.col("lon").cast(pl.Float64),
    ).sort(["track_id", "t"], maintain_order=True)
    tid, t = df["track_id"].to_numpy(), df["t"].to_numpy().astype(np.int64)
    keep = np.ones(df.height, dtype=bool)
    keep[1:] = (tid[1:] != tid[:-1]) | (t[1:] != t[:-1])
    df, tid, t = df.filter(pl.Series(keep)), tid[keep], t[keep]
    n = df.height
    if n == 0:
        return pl.DataFrame(schema=GRID_SCHEMA)
    mmsi, lat, lon = df["mmsi"].to_numpy(), df["lat"].to_numpy(), df["lon"].to_numpy()
    brk = np.ones(n, dtype=bool)
    brk[1:] = (tid[1:] != tid[:-1]) | (t[1:] - t[:-1] > max_gap)
    seg_of = np.cumsum(brk) - 1
    seg_first = np.flatnonzero(brk)
    seg_last = np.append(seg_first[1:] - 1, n - 1)
    k_real = (t + half) // iv
    kmin = np.minimum(-((half - t[seg_first]) // iv), k_real[seg_first])
    kmax = (t[seg_last] + half) // iv
    counts = kmax - kmin + 1
    offs = np.cumsum(counts) - counts
    m = int(counts.sum())
    g_seg = np.repeat(np.arange(seg_first.size), counts)
    g_k = kmin[g_seg] + (np.arange(m) - offs[g_seg])
    g_t = g_k * iv
    span = t[seg_last] - t[seg_first] + 2 * iv
    base = np.cumsum(span) - span + iv - t[seg_first]
    prev = np.searchsorted(base[seg_of] + t, base[g_seg] + g_t, side="right") - 1
    prev = np.clip(prev, seg_first[g_seg], seg_last[g_seg])
    nxt = np.minimum(prev + 1, seg_last[g_seg])
    sp = (t[nxt] - t[prev]).astype(np.float64)
    frac = np.clip(np.divide((g_t - t[prev]).astype(np.float64), sp, out=np.zeros(m),
                             where=sp > 0), 0.0, 1.0)
    g_lat = lat[prev] + frac * (lat[nxt] - lat[prev])
    dlon = (lon[nxt] - lon[prev] + 180.0) % 360.0 - 180.0
    g_lon = (lon[prev] + frac * dlon + 180.0) % 360.0 - 180.0
    same = np.zeros(m, dtype=bool)
    same[1:] = g_seg[1:] == g_seg[:-1]
    step = np.zeros(m)
    step[1:] = np.where(same[1:], haversine_m(g_lat[:-1], g_lon[:-1], g_lat[1:], g_lon[1:]), 0.0)
    speed = step / (iv / 1e6) / KNOT_M_PER_S
    has_next = np.zeros(m, dtype=bool)
    has_next[:-1] = same[1:]
    speed[~same] = np.where(has_next[~same], np.roll(speed, -1)[~same], np.nan)
    real = np.zeros(m, dtype=bool)
    real[offs[seg_of] + (k_real - kmin[seg_of])] = True
    return pl.DataFrame({
        "track_id": tid[seg_first][g_seg], "mmsi": mmsi[seg_first][g_seg], "seg": g_seg,
        "k": g_k, "timestamp": pl.Series(g_t).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        "lat": g_lat, "lon": g_lon, "step_m": step,
        "speed_knots": pl.Series(speed).fill_nan(None), "real": real,
    }, schema=GRID_SCHEMA)


def _random_tracks(seed: int, n: int, *, shuffle: bool) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    t0 = datetime(2019, 3, 1, tzinfo=UTC)
    tid = np.sort(rng.integers(1, 6, n)) * 1000 + 7
    # irregular times: bursts a few seconds apart, gaps of hours, exact repeats
    secs = np.cumsum(rng.choice([0, 7, 95, 600, 3000, 9000], n))
    lat = rng.uniform(-60, 60, n)
    lon = rng.choice([179.9, -179.9, 10.0], n) + rng.uniform(-0.05, 0.05, n)  # the dateline
    df = pl.DataFrame({
        "track_id": tid, "mmsi": tid // 1000,
        "timestamp": [t0 + timedelta(seconds=int(s)) for s in secs],
        "lat": lat, "lon": lon,
    }).sort(["track_id", "timestamp"], maintain_order=True)
    return df.sample(fraction=1.0, shuffle=True, seed=seed) if shuffle else df


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n", [0, 1, 3, 50, 800])
@pytest.mark.parametrize("shuffle", [False, True])
def test_resample_matches_reference(seed: int, n: int, shuffle: bool) -> None:
    tracks = _random_tracks(seed, n, shuffle=shuffle)
    for interval_min, max_gap_h in ((10.0, 1.5), (10.0, 1.0), (0.5, 0.25), (7.3, 3.0)):
        got = resample_tracks(tracks, interval_min=interval_min, max_gap_h=max_gap_h)
        assert_frame_equal(got, _reference(tracks, interval_min, max_gap_h), check_exact=True)


@pytest.mark.parametrize("workers", [1, 3])
def test_chunks_and_threads_change_nothing(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """Chunks of a few tracks each, resampled on several threads, give the one-pass grid:
    segments numbered on across chunks, in track order."""
    import sanctionwatch.tracks.resample as rs

    tracks = _random_tracks(3, 800, shuffle=False)
    expected = _reference(tracks, 10.0, 1.5)
    monkeypatch.setattr(rs, "RESAMPLE_CHUNK_ROWS", 60)  # about a third of a track
    got = resample_tracks(tracks, interval_min=10.0, max_gap_h=1.5, workers=workers)
    assert_frame_equal(got, expected, check_exact=True)


def test_grid_steps_are_bit_identical_to_haversine() -> None:
    rng = np.random.default_rng(3)
    lat = rng.uniform(-89.9, 89.9, 10_001)
    lon = rng.uniform(-180, 180, 10_001)
    lat[::7] = lat[1::7][: lat[::7].size]  # some equal neighbours
    expected = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    assert np.array_equal(_steps_m(lat, lon), expected)


def test_wrap180_is_the_modulo_formula_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    x = np.r_[rng.uniform(-1000, 1000, 100_000), -180.0, 180.0, -540.0, 540.0, 0.0, -0.0,
              np.nextafter(180.0, 0), np.nextafter(-180.0, -360), np.nan]
    expected = (x + 180.0) % 360.0 - 180.0
    got = _wrap180(x)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
