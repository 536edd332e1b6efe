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

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.geo import KNOT_M_PER_S, haversine_m

IntArray = npt.NDArray[np.int64]

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
    return max(2, round(interval_min * 60e6))


def grid_timestamp(k: pl.Expr, interval_min: float) -> pl.Expr:
    """Polars expression: the UTC timestamp of grid index ``k``."""
    return pl.from_epoch(k * interval_us(interval_min), time_unit="us").dt.replace_time_zone("UTC")


def _floor_div(a: IntArray, b: int) -> IntArray:
    return np.asarray(a // b, dtype=np.int64)


def _ceil_div(a: IntArray, b: int) -> IntArray:
    return np.asarray(-((-a) // b), dtype=np.int64)


def _previous_real(
    t: IntArray,
    seg_of: IntArray,
    seg_first: IntArray,
    seg_last: IntArray,
    g_t: IntArray,
    g_seg: IntArray,
    iv: int,
) -> IntArray:
    """Index of the last real position at or before each grid time, within its segment (the
    segment's first position for grid times before it).

    Times are shifted so that segments follow one another on one increasing axis, each with a
    margin of one interval on both sides (grid times reach half an interval beyond the
    positions); one ``searchsorted`` then finds every bracket.
    """
    span = t[seg_last] - t[seg_first] + 2 * iv
    total = int(span.sum(dtype=np.float64))
    if total >= 2**62:  # cannot happen for in-memory data (10^5 tracks x 1 year is 3 x 10^18)
        raise OverflowError("time span too large to resample in one call; split the input")
    base = np.cumsum(span) - span + iv - t[seg_first]
    key_real = base[seg_of] + t
    key_grid = base[g_seg] + g_t
    prev = np.searchsorted(key_real, key_grid, side="right").astype(np.int64) - 1
    return np.asarray(np.clip(prev, seg_first[g_seg], seg_last[g_seg]), dtype=np.int64)


def resample_tracks(tracks: pl.DataFrame, *, interval_min: float, max_gap_h: float) -> pl.DataFrame:
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
    """
    iv = interval_us(interval_min)
    half = iv // 2
    max_gap = round(max_gap_h * 3.6e9)
    if max_gap < iv:
        raise ValueError("max_gap_h must be at least one grid interval")
    df = tracks.select(
        pl.col("track_id").cast(pl.Int64),
        pl.col("mmsi").cast(pl.Int64),
        pl.col("timestamp").dt.epoch("us").alias("t"),
        pl.col("lat").cast(pl.Float64),
        pl.col("lon").cast(pl.Float64),
    ).sort(["track_id", "t"], maintain_order=True)
    tid = df["track_id"].to_numpy()
    t = df["t"].to_numpy().astype(np.int64)
    first_at_time = np.ones(df.height, dtype=bool)
    first_at_time[1:] = (tid[1:] != tid[:-1]) | (t[1:] != t[:-1])
    if not first_at_time.all():
        df = df.filter(pl.Series(first_at_time))
        tid, t = tid[first_at_time], t[first_at_time]
    n = df.height
    if n == 0:
        return pl.DataFrame(schema=GRID_SCHEMA)
    mmsi = df["mmsi"].to_numpy()
    lat = df["lat"].to_numpy()
    lon = df["lon"].to_numpy()

    # Segments: contiguous positions of one track with no gap longer than max_gap.
    brk = np.ones(n, dtype=bool)
    brk[1:] = (tid[1:] != tid[:-1]) | (t[1:] - t[:-1] > max_gap)
    seg_of = np.cumsum(brk) - 1
    seg_first = np.flatnonzero(brk).astype(np.int64)
    seg_last = np.append(seg_first[1:] - 1, n - 1).astype(np.int64)
    k_real = _floor_div(t + half, iv)  # nearest grid index of each real position
    kmin = np.minimum(_ceil_div(t[seg_first] - half, iv), k_real[seg_first])
    kmax = _floor_div(t[seg_last] + half, iv)
    counts = kmax - kmin + 1
    offs = np.cumsum(counts) - counts
    m = int(counts.sum())
    g_seg = np.repeat(np.arange(seg_first.size, dtype=np.int64), counts)
    g_k = kmin[g_seg] + (np.arange(m, dtype=np.int64) - offs[g_seg])
    g_t = g_k * iv

    prev = _previous_real(t, seg_of, seg_first, seg_last, g_t, g_seg, iv)
    nxt = np.minimum(prev + 1, seg_last[g_seg])
    span = (t[nxt] - t[prev]).astype(np.float64)
    frac = np.clip(
        np.divide((g_t - t[prev]).astype(np.float64), span, out=np.zeros(m), where=span > 0),
        0.0,
        1.0,
    )
    g_lat = lat[prev] + frac * (lat[nxt] - lat[prev])
    dlon = (lon[nxt] - lon[prev] + 180.0) % 360.0 - 180.0  # the short way round the dateline
    g_lon = (lon[prev] + frac * dlon + 180.0) % 360.0 - 180.0

    same = np.zeros(m, dtype=bool)
    same[1:] = g_seg[1:] == g_seg[:-1]
    step = np.zeros(m)
    step[1:] = np.where(same[1:], haversine_m(g_lat[:-1], g_lon[:-1], g_lat[1:], g_lon[1:]), 0.0)
    speed = step / (iv / 1e6) / KNOT_M_PER_S
    first = ~same
    has_next = np.zeros(m, dtype=bool)
    has_next[:-1] = same[1:]
    speed[first] = np.where(has_next[first], np.roll(speed, -1)[first], np.nan)

    real = np.zeros(m, dtype=bool)
    real[offs[seg_of] + (k_real - kmin[seg_of])] = True

    return pl.DataFrame(
        {
            "track_id": tid[seg_first][g_seg],
            "mmsi": mmsi[seg_first][g_seg],
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
