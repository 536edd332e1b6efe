"""Resample tracks onto a fixed UTC time grid, shared by the encounter and loitering detectors.

GFW's encounter pipeline (pipe-encounters ``create_raw_pipeline.py``, DETECTION.md §1.1)
linearly interpolates every vessel onto a 10-minute grid, across gaps of at most one hour, so
that two vessels can be compared at the same instants. This module does the same, vectorised
over all tracks at once, with three differences:

- The grid is aligned to absolute time: grid index ``k`` is the instant ``k × interval`` after
  the Unix epoch. Two inputs (two days, two files) put the same vessel on the same grid times,
  so an event crossing midnight or a file boundary is resampled whole.
- A *segment* is a run of a track's positions with no gap longer than ``max_gap_h``. Grid points
  are made from half an interval before a segment's first position to half an interval after
  its last one (holding the end positions), never across a longer gap: nothing is invented
  while a vessel is dark. GFW extrapolates up to one hour from course and speed instead.
- Every grid point says whether it is ``real``: whether a real position lies within half an
  interval of it (it is the nearest grid point of some position), so detectors can demand a
  minimum share of real support (GFW records a comparable ``point_density``).

It also holds the two track queries the grid-based detectors share: a dateline-safe mean
position (:func:`xyz_exprs`, :func:`unit_to_lat_lon`) and the real positions behind an event
window (:func:`positions_in_windows`).
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.geo import EARTH_RADIUS_M, KNOT_M_PER_S
from sanctionwatch.units import US_PER_H, US_PER_MIN, US_PER_S

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

GRID_SCHEMA: dict[str, pl.DataType] = {
    "track_id": pl.Int64(),
    "mmsi": pl.Int64(),
    "seg": pl.Int64(),
    "k": pl.Int64(),
    "timestamp": pl.Datetime("us", "UTC"),
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "step_m": pl.Float64(),
    "speed_knots": pl.Float64(),
    "real": pl.Boolean(),
}
"""Columns of :func:`resample_tracks`' result."""


def interval_us(interval_min: float) -> int:
    """Grid interval in whole microseconds (at least 2)."""
    return max(2, round(interval_min * US_PER_MIN))


def grid_timestamp(k: pl.Expr, interval_min: float) -> pl.Expr:
    """Polars expression: the UTC timestamp of grid index ``k``."""
    return pl.from_epoch(k * interval_us(interval_min), time_unit="us").dt.replace_time_zone("UTC")


RESAMPLE_CHUNK_ROWS = 1 << 20
"""Positions resampled at once (whole tracks; one track longer than this is one chunk)."""


def _floor_div(a: IntArray, b: int) -> IntArray:
    return np.asarray(a // b, dtype=np.int64)


def _ceil_div(a: IntArray, b: int) -> IntArray:
    return np.asarray(-((-a) // b), dtype=np.int64)


def _wrap180(x: FloatArray) -> FloatArray:
    """``(x + 180) % 360 - 180``, with the slow float modulo only where it changes anything
    (it returns its argument unchanged in ``[0, 360)``, which is nearly every element)."""
    y = x + 180.0
    out = (y < 0.0) | (y >= 360.0)
    if out.any():
        y[out] %= 360.0
    y -= 180.0
    return y


def _sorted_arrays(
    tracks: pl.DataFrame,
) -> tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray]:
    """``track_id, mmsi, t`` (microseconds), ``lat, lon`` as arrays sorted by track and time.

    Prepared tracks already are, so the sort runs only when a check finds them out of order.
    """
    df = tracks.select(
        pl.col("track_id").cast(pl.Int64),
        pl.col("mmsi").cast(pl.Int64),
        pl.col("timestamp").dt.epoch("us").alias("t"),
        pl.col("lat").cast(pl.Float64),
        pl.col("lon").cast(pl.Float64),
    )
    tid = df["track_id"].to_numpy()
    t = df["t"].to_numpy()
    in_order = (
        df["track_id"].null_count() == 0
        and df["t"].null_count() == 0
        and bool(np.all((tid[1:] > tid[:-1]) | ((tid[1:] == tid[:-1]) & (t[1:] >= t[:-1]))))
    )
    if not in_order:
        df = df.sort(["track_id", "t"], maintain_order=True)
        tid, t = df["track_id"].to_numpy(), df["t"].to_numpy()
    return (
        tid,
        df["mmsi"].to_numpy(),
        t.astype(np.int64),
        df["lat"].to_numpy(),
        df["lon"].to_numpy(),
    )


def _steps_m(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Haversine distance between consecutive points: ``geo.haversine_m`` operation for
    operation (so bit-identical), with each point's cosine computed once and in place."""
    p = np.radians(lat)
    cos_p = np.cos(p)
    a = p[1:] - p[:-1]
    np.square(np.sin(np.divide(a, 2, out=a), out=a), out=a)
    dl = np.radians(lon[1:] - lon[:-1])
    np.square(np.sin(np.divide(dl, 2, out=dl), out=dl), out=dl)
    cc = cos_p[:-1] * cos_p[1:]
    cc *= dl
    a += cc
    np.sqrt(np.clip(a, 0.0, 1.0, out=a), out=a)
    np.arcsin(a, out=a)
    a *= 2 * EARTH_RADIUS_M
    return a


def resample_tracks(
    tracks: pl.DataFrame, *, interval_min: float, max_gap_h: float, workers: int | None = None
) -> pl.DataFrame:
    """Linearly interpolate every track onto the absolute grid of ``interval_min`` minutes.

    ``tracks`` needs ``track_id, mmsi, timestamp, lat, lon`` (prepared tracks, see
    :func:`sanctionwatch.tracks.prepare_tracks`). Positions of one track at the same instant keep
    the first one. Returns :data:`GRID_SCHEMA` columns sorted by ``seg, k`` (hence by
    ``track_id, k``):

    - ``seg``: global segment number; a segment never spans a gap longer than ``max_gap_h``.
    - ``k``: grid index (``timestamp = k × interval`` since the epoch).
    - ``step_m``: distance from the previous grid point of the segment (0 at its first point).
    - ``speed_knots``: implied speed over the grid step ending here (the first point of a
      segment takes its first step's speed; null for one-point segments). Measured on the
      grid rather than between raw positions, so GNSS jitter at 10 s reporting (metres per
      message) does not add up to a fake speed.
    - ``real``: a real position of the track lies within half an interval of this grid time.

    Tracks are resampled in chunks of whole tracks, on ``workers`` threads (None: the
    machine's cores); the result does not depend on the number.
    """
    iv = interval_us(interval_min)
    max_gap = round(max_gap_h * US_PER_H)
    if max_gap < iv:
        raise ValueError("max_gap_h must be at least one grid interval")
    tid, mmsi, t, lat, lon = _sorted_arrays(tracks)
    # Tracks are resampled independently, so they are done in chunks of whole tracks: the
    # working arrays of a chunk stay small, so the cost per position does not grow with the
    # input (in one go, the memory traffic of input-sized temporaries made it grow; measured:
    # benchmarks/results/design-notes.md), and only ``seg`` needs renumbering.
    bounds = [0]
    while bounds[-1] < tid.size:
        cut = min(bounds[-1] + RESAMPLE_CHUNK_ROWS, tid.size)
        if cut < tid.size:
            cut = int(np.searchsorted(tid, tid[cut], side="left"))
            if cut <= bounds[-1]:
                cut = int(np.searchsorted(tid, tid[bounds[-1]], side="right"))
        bounds.append(cut)

    def one(ab: tuple[int, int]) -> pl.DataFrame:
        a, b = ab
        return _resample_sorted(tid[a:b], mmsi[a:b], t[a:b], lat[a:b], lon[a:b], iv, max_gap)

    chunks = list(itertools.pairwise(bounds))
    n_workers = min(len(chunks), workers if workers is not None else os.cpu_count() or 1)
    if n_workers > 1:
        # NumPy releases the GIL in the large array operations the chunks spend their time in
        with ThreadPoolExecutor(n_workers, thread_name_prefix="resample") as pool:
            parts = [p for p in pool.map(one, chunks) if p.height]
    else:
        parts = [p for p in map(one, chunks) if p.height]
    if not parts:
        return pl.DataFrame(schema=GRID_SCHEMA)
    # segments were numbered per chunk: number them on across chunks
    frames, n_seg = [], 0
    for part in parts:
        frames.append(part.with_columns(pl.col("seg") + n_seg) if n_seg else part)
        n_seg += int(part["seg"][-1]) + 1
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical", rechunk=True)


def _resample_sorted(
    tid: IntArray,
    mmsi: IntArray,
    t: IntArray,
    lat: FloatArray,
    lon: FloatArray,
    iv: int,
    max_gap: int,
) -> pl.DataFrame:
    """:func:`resample_tracks` of whole tracks sorted by track and time; segments numbered
    from 0."""
    half = iv // 2
    first_at_time = np.ones(tid.size, dtype=bool)
    first_at_time[1:] = (tid[1:] != tid[:-1]) | (t[1:] != t[:-1])
    if not first_at_time.all():
        tid, mmsi, t = tid[first_at_time], mmsi[first_at_time], t[first_at_time]
        lat, lon = lat[first_at_time], lon[first_at_time]
    n = tid.size
    if n == 0:
        return pl.DataFrame(schema=GRID_SCHEMA)

    # Segments: contiguous positions of one track with no gap longer than max_gap.
    brk = np.ones(n, dtype=bool)
    brk[1:] = (tid[1:] != tid[:-1]) | (t[1:] - t[:-1] > max_gap)
    seg_first = np.flatnonzero(brk).astype(np.int64)
    seg_last = np.append(seg_first[1:] - 1, n - 1).astype(np.int64)
    k_real = _floor_div(t + half, iv)  # nearest grid index of each real position
    kmin = np.minimum(_ceil_div(t[seg_first] - half, iv), k_real[seg_first])
    kmax = _floor_div(t[seg_last] + half, iv)
    counts = kmax - kmin + 1
    offs = np.cumsum(counts) - counts
    m = int(counts.sum())
    g_seg = np.repeat(np.arange(seg_first.size, dtype=np.int64), counts)
    g_k = np.arange(m, dtype=np.int64) + np.repeat(kmin - offs, counts)
    g_t = g_k * iv

    # The last real position at or before each grid time, within its segment (the segment's
    # first position before it). Each real position counts from the first grid point at or
    # after it: a cumulative count over the grid is then, at every grid point, the number of
    # positions at or before it. Positions after their segment's last grid point count from
    # the next segment's first one, so that segment's count starts at its first position.
    seg_len = seg_last - seg_first + 1
    to_grid = np.repeat(offs - kmin, seg_len)  # grid index k -> row in the result
    at = np.minimum(_ceil_div(t, iv) + to_grid, np.repeat(offs + counts, seg_len))
    seen = np.cumsum(np.bincount(at, minlength=m + 1)[:m])
    g_first = np.repeat(seg_first, counts)
    prev = np.maximum(seen - 1, g_first)
    nxt = np.minimum(prev + 1, np.repeat(seg_last, counts))
    span = (t[nxt] - t[prev]).astype(np.float64)
    frac = np.clip(
        np.divide((g_t - t[prev]).astype(np.float64), span, out=np.zeros(m), where=span > 0),
        0.0,
        1.0,
    )
    g_lat = lat[prev] + frac * (lat[nxt] - lat[prev])
    dlon = _wrap180(lon[nxt] - lon[prev])  # the short way round the dateline
    g_lon = _wrap180(lon[prev] + frac * dlon)

    same = np.zeros(m, dtype=bool)
    same[1:] = g_seg[1:] == g_seg[:-1]
    step = np.zeros(m)
    step[1:] = np.where(same[1:], _steps_m(g_lat, g_lon), 0.0)
    speed = step / (iv / US_PER_S) / KNOT_M_PER_S
    # the first point of a segment takes its first step's speed (NaN for one-point segments)
    first = offs
    has_next = counts > 1
    speed[first] = np.where(has_next, speed[np.minimum(first + 1, m - 1)], np.nan)

    real = np.zeros(m, dtype=bool)
    real[k_real + to_grid] = True

    return pl.DataFrame(
        {
            "track_id": np.repeat(tid[seg_first], counts),
            "mmsi": np.repeat(mmsi[seg_first], counts),
            "seg": g_seg,
            "k": g_k,
            "timestamp": pl.Series(g_t).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            "lat": g_lat,
            "lon": g_lon,
            "step_m": step,
            "speed_knots": pl.Series(speed).fill_nan(None),
            "real": real,
        },
        schema=GRID_SCHEMA,
    )


def xyz_exprs(lat: str, lon: str, suffix: str) -> list[pl.Expr]:
    """Polars expressions: unit vector ``x_<suffix>, y_<suffix>, z_<suffix>`` of a position.

    Averaging unit vectors and converting back (:func:`unit_to_lat_lon`) gives a mean position
    that is safe across the dateline and near the poles.
    """
    la = pl.col(lat).radians()
    lo = pl.col(lon).radians()
    return [
        (la.cos() * lo.cos()).alias(f"x_{suffix}"),
        (la.cos() * lo.sin()).alias(f"y_{suffix}"),
        la.sin().alias(f"z_{suffix}"),
    ]


def unit_to_lat_lon(
    x: npt.ArrayLike, y: npt.ArrayLike, z: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Latitude and longitude (degrees) of (not necessarily unit) vectors."""
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    za = np.asarray(z, dtype=np.float64)
    lat = np.degrees(np.arctan2(za, np.hypot(xa, ya)))
    lon = np.degrees(np.arctan2(ya, xa))
    return np.asarray(lat), np.asarray(lon)


def positions_in_windows(tracks: pl.DataFrame, windows: pl.DataFrame) -> pl.DataFrame:
    """Real positions of tracks inside time windows: count and first/last provenance.

    ``tracks``: prepared tracks (``track_id, timestamp, source, record``). ``windows``: one row
    per window with ``track_id`` and ``w0, w1`` (inclusive bounds, microseconds since the epoch)
    plus any key columns, which are kept. Adds ``n_positions`` (Int64) and ``evidence``
    (``["source:record"]`` of the first and last position in the window; one entry when they are
    the same, empty when there is none). Two as-of joins, so the cost does not grow with the
    number of positions inside each window.
    """
    # Only the windows' tracks: ``idx`` differences within one track are all that is used.
    wanted = windows["track_id"].cast(pl.Int64).unique()
    real = (
        tracks.filter(pl.col("track_id").cast(pl.Int64).is_in(wanted.implode()))
        .select(
            pl.col("track_id").cast(pl.Int64),
            pl.col("timestamp").dt.epoch("us").alias("t"),
            pl.format("{}:{}", pl.col("source"), pl.col("record")).alias("ref"),
        )
        .sort(["track_id", "t", "ref"])
        .with_row_index("idx")
        .with_columns(pl.col("idx").cast(pl.Int64))
        .sort("t")
    )
    w = windows.with_columns(pl.col("track_id").cast(pl.Int64)).with_row_index("_w")
    first = w.sort("w0").join_asof(
        real.rename({"t": "t_first", "idx": "i_first", "ref": "ref_first"}),
        left_on="w0", right_on="t_first", by="track_id", strategy="forward",
        check_sortedness=False,  # ``real`` is sorted by time globally, hence within each track
    ).select("_w", "t_first", "i_first", "ref_first")
    last = w.sort("w1").join_asof(
        real.rename({"t": "t_last", "idx": "i_last", "ref": "ref_last"}),
        left_on="w1", right_on="t_last", by="track_id", strategy="backward",
        check_sortedness=False,
    ).select("_w", "i_last", "ref_last")
    found = pl.col("t_first").is_not_null() & (pl.col("t_first") <= pl.col("w1"))
    return (
        w.join(first, on="_w", how="left")
        .join(last, on="_w", how="left")
        .sort("_w")
        .with_columns(
            pl.when(found)
            .then(pl.col("i_last") - pl.col("i_first") + 1)
            .otherwise(0)
            .alias("n_positions"),
            pl.when(~found)
            .then(pl.lit([], dtype=pl.List(pl.Utf8)))
            .when(pl.col("i_first") == pl.col("i_last"))
            .then(pl.concat_list("ref_first"))
            .otherwise(pl.concat_list("ref_first", "ref_last"))
            .alias("evidence"),
        )
        .drop("_w", "t_first", "i_first", "ref_first", "i_last", "ref_last")
    )
