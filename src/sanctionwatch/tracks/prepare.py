"""Clean positions and split each MMSI into physically plausible tracks.

Two ships broadcasting one MMSI, or a spoofed/corrupt position, show up as jumps no ship can
make. Following GFW's segmenter (gpsdio-segment / pipe-segment, see DETECTION.md 1.6), each
MMSI's positions are assigned in time order to the open track they can plausibly continue
(implied speed within ``max_speed_knots``), opening a new track when none fits. The common case
-- an MMSI without any impossible jump -- is handled vectorised; only MMSIs with a jump take the
sequential path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from sanctionwatch.geo import EARTH_RADIUS_M, KNOT_M_PER_S, haversine_m
from sanctionwatch.schema import POSITIONS

TRACKS_PER_MMSI = 1000
"""``track_id = mmsi * TRACKS_PER_MMSI + k`` for the k-th track of an MMSI."""


@dataclass(frozen=True)
class PrepareParams:
    """Track preparation parameters.

    max_speed_knots: fastest plausible speed between two positions. 50 kn is AISdb's default
        per-type ceiling (DETECTION.md 1.6); merchant ships rarely exceed 25 kn.
    noise_m: distance always allowed between consecutive positions whatever the time between
        them, absorbing GPS noise and receiver time-stamping jitter (a few hundred metres at
        most for class A GNSS, ITU-R M.1371 position accuracy flag).
    """

    max_speed_knots: float = 50.0
    noise_m: float = 1000.0

    def __post_init__(self) -> None:
        if self.max_speed_knots <= 0 or self.noise_m < 0:
            raise ValueError("max_speed_knots must be > 0 and noise_m >= 0")


@dataclass(frozen=True)
class PreparedTracks:
    """Result of :func:`prepare_tracks`.

    tracks: POSITIONS columns + ``track_id``, sorted by ``track_id, timestamp``.
    removed: POSITIONS columns + ``reason``: positions taken out (sentinels, duplicates).
    """

    tracks: pl.DataFrame
    removed: pl.DataFrame

    def removed_counts(self) -> dict[str, int]:
        """Removed positions counted by reason."""
        if self.removed.height == 0:
            return {}
        counts = self.removed.group_by("reason").len().sort("reason")
        return dict(zip(counts["reason"].to_list(), counts["len"].to_list(), strict=True))


def prepare_tracks(positions: pl.DataFrame, params: PrepareParams | None = None) -> PreparedTracks:
    """Clean ``positions`` (POSITIONS schema) and assign ``track_id``.

    - lat 91 / lon 181 ("not available") and out-of-range coordinates are removed (reason
      ``position_not_available`` / ``position_out_of_range``); 0,0 is removed as
      ``null_island`` (a GNSS fault, never a real ship position in practice).
    - sog 102.3 (and above), cog >= 360 and heading 511 become null.
    - exact duplicates (same MMSI, time and position, e.g. heard by two receivers) are removed
      as ``duplicate``.
    - remaining positions are split into plausible tracks.
    """
    p = params or PrepareParams()
    df = POSITIONS.conform(positions)
    df = df.with_columns(
        pl.when(pl.col("sog_knots") >= 102.25)
        .then(None)
        .otherwise(pl.col("sog_knots"))
        .alias("sog_knots"),
        pl.when(pl.col("cog_deg") >= 360).then(None).otherwise(pl.col("cog_deg")).alias("cog_deg"),
        pl.when(pl.col("heading_deg") >= 360)
        .then(None)
        .otherwise(pl.col("heading_deg"))
        .alias("heading_deg"),
    )
    reason = (
        pl.when((pl.col("lat") == 91) | (pl.col("lon") == 181))
        .then(pl.lit("position_not_available"))
        .when(
            (pl.col("lat").abs() > 90)
            | (pl.col("lon").abs() > 180)
            | pl.col("lat").is_nan()
            | pl.col("lon").is_nan()
        )
        .then(pl.lit("position_out_of_range"))
        .when((pl.col("lat") == 0) & (pl.col("lon") == 0))
        .then(pl.lit("null_island"))
        .otherwise(None)
    )
    df = df.with_columns(reason.alias("reason"))
    bad = df.filter(pl.col("reason").is_not_null())
    good = df.filter(pl.col("reason").is_null()).sort(["mmsi", "timestamp", "source", "record"])
    dup_mask = _duplicates(good)
    dups = good.filter(dup_mask).with_columns(pl.lit("duplicate").alias("reason"))
    good = good.filter(~dup_mask).drop("reason")
    removed = pl.concat([bad, dups], how="vertical").sort(["source", "record"])
    tracks = _assign_tracks(good, p)
    return PreparedTracks(tracks=tracks, removed=removed)


def _duplicates(good: pl.DataFrame) -> pl.Series:
    """Rows (of ``good``, sorted by MMSI and time) repeating an earlier row's MMSI, time and
    position. Only rows sharing MMSI and time with a neighbour can be duplicates, so the
    hashing runs on those alone."""
    key = ["mmsi", "timestamp"]
    same_prev = pl.all_horizontal([pl.col(c).eq_missing(pl.col(c).shift(1)) for c in key])
    same_next = pl.all_horizontal([pl.col(c).eq_missing(pl.col(c).shift(-1)) for c in key])
    tied = good.select((same_prev.fill_null(False) | same_next.fill_null(False)).alias("t"))
    tied_s = tied.to_series()
    if not tied_s.any():
        return pl.Series("mmsi", [False] * good.height, dtype=pl.Boolean)
    idx = tied_s.arg_true()
    sub = good[idx].select(
        pl.struct(["mmsi", "timestamp", "lat", "lon"]).is_first_distinct().not_()
    ).to_series()
    out = np.zeros(good.height, dtype=bool)
    out[idx.to_numpy()] = sub.to_numpy()
    return pl.Series("mmsi", out, dtype=pl.Boolean)


def _assign_tracks(df: pl.DataFrame, p: PrepareParams) -> pl.DataFrame:
    if df.height == 0:
        return df.with_columns(pl.lit(None, dtype=pl.Int64).alias("track_id"))
    mmsi = df["mmsi"].to_numpy()
    t = df["timestamp"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    lat = df["lat"].to_numpy()
    lon = df["lon"].to_numpy()
    same = np.zeros(len(mmsi), dtype=bool)
    same[1:] = mmsi[1:] == mmsi[:-1]
    dist = np.zeros(len(mmsi))
    dist[1:] = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    dt = np.zeros(len(mmsi))
    dt[1:] = t[1:] - t[:-1]
    allowed = p.noise_m + p.max_speed_knots * KNOT_M_PER_S * dt
    jump = same & (dist > allowed)
    track = np.zeros(len(mmsi), dtype=np.int64)
    jumpy = np.unique(mmsi[jump])
    if jumpy.size:
        starts = np.searchsorted(mmsi, jumpy, side="left")
        ends = np.searchsorted(mmsi, jumpy, side="right")
        for s, e in zip(starts, ends, strict=True):
            track[s:e] = _greedy_segments(t[s:e], lat[s:e], lon[s:e], p)
    track_id = mmsi.astype(np.int64) * TRACKS_PER_MMSI + np.minimum(track, TRACKS_PER_MMSI - 1)
    out = df.with_columns(pl.Series("track_id", track_id, dtype=pl.Int64))
    if df["mmsi"].null_count() or df["timestamp"].null_count():
        return out.sort(["track_id", "timestamp", "source", "record"])
    # ``df`` is sorted by MMSI, time, source, record, and track_id orders as (MMSI, track):
    # only the rows of MMSIs split into several tracks move, by a stable sort on the track.
    moved = False
    order = np.arange(len(mmsi))
    if jumpy.size:
        for s, e in zip(starts, ends, strict=True):
            tid = track_id[s:e]
            if (tid[1:] < tid[:-1]).any():
                order[s:e] = s + np.argsort(tid, kind="stable")
                moved = True
    return out[order] if moved else out


def _greedy_segments(
    t: np.ndarray, lat: np.ndarray, lon: np.ndarray, p: PrepareParams
) -> np.ndarray:
    # Sequential by nature (each assignment depends on the previous ones); only MMSIs that
    # contain an impossible jump come here, a small minority in real data. Plain-Python math:
    # the open tracks are few, and NumPy's per-call overhead would dominate.
    seg = np.empty(len(t), dtype=np.int64)
    last_t: list[float] = []
    last_lat: list[float] = []
    last_lon: list[float] = []
    max_mps = p.max_speed_knots * KNOT_M_PER_S
    order: list[int] = []  # open tracks, most recently updated first
    for i in range(len(t)):
        ti, la, lo = float(t[i]), float(lat[i]), float(lon[i])
        best = -1
        # Prefer the most recently updated reachable track: a ship sharing an MMSI with one
        # that went silent keeps to its own fresh track instead of being absorbed by the
        # silent one, whose reach grows with the silence.
        for k in order:
            if _haversine1(la, lo, last_lat[k], last_lon[k]) <= p.noise_m + max_mps * (
                ti - last_t[k]
            ):
                best = k
                break
        if best < 0:
            best = len(last_t)
            last_t.append(ti)
            last_lat.append(la)
            last_lon.append(lo)
        else:
            last_t[best], last_lat[best], last_lon[best] = ti, la, lo
            order.remove(best)
        order.insert(0, best)
        seg[i] = best
    return seg


def _haversine1(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(
        math.radians(lon2 - lon1) / 2
    ) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, a))))
