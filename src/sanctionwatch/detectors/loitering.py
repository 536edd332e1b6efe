"""Loitering: one vessel slow at sea for hours (a possible transfer with a dark partner).

Follows the published GFW definition (DETECTION.md §1.2, thresholds in §1.7): average implied
speed below 2 kn hour by hour, for at least 4 h (GFW's RFMO reports and Welch et al. 2022), on
average at least 20 nm from shore, and here also at least 10 km from any port or anchorage. GFW
buckets each vessel's positions into clock hours; this module measures the same hourly mean
implied speed continuously:

- Each track is resampled onto the absolute 10-minute grid shared with the encounter detector
  (:mod:`sanctionwatch.tracks.resample`), bridging reception gaps up to ``max_gap_h`` only.
- At every grid point the hourly mean implied speed is the path length along the grid over the
  hour centred on it, divided by that time. Speeds come from movement, never from SOG (missing
  or wrong on the vessels that matter), and are measured on the grid so GNSS jitter between
  high-rate messages does not add up to a fake speed.
- A loitering event is a run of consecutive slow grid points. Runs are not cut at clock-hour
  edges, at midnight or at file boundaries (GFW's daily processing cuts them), and never span
  a gap longer than ``max_gap_h``, so a vessel dark for hours is never "loitering" across it.
- Encounters already found for the vessel that overlap the loitering are linked in
  ``related_event_ids`` rather than left as unexplained overlaps (a GFW known issue).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sanctionwatch.detectors.base import DetectionInput, Params, register
from sanctionwatch.detectors.common import finite_or_null, ordered_sums, unique_event_ids
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.geo import KNOT_M_PER_S, METRES_PER_NM, haversine_m_expr
from sanctionwatch.tracks.resample import (
    grid_timestamp,
    interval_us,
    positions_in_windows,
    unit_to_lat_lon,
    xyz_exprs,
)
from sanctionwatch.units import S_PER_H, US_PER_H

EVENT_TYPE = "loitering"

DETAILS = Details(
    {
        "track_id": Key(pl.Int64(), "the vessel's track"),
        "mean_speed_knots": Key(pl.Float64(), "path length along the grid over the duration"),
        "max_hourly_speed_knots": Key(pl.Float64(), "highest hourly mean speed in the event"),
        "radius_m": Key(pl.Float64(), "largest distance of a grid point from the centre"),
        "min_distance_from_shore_km": Key(pl.Float64(), "nearest approach to the shore"),
        "real_share": Key(pl.Float64(), "share of grid points with a real position"),
        "resample_interval_min": Key(pl.Float64(), "the grid step"),
    }
)


@dataclass(frozen=True)
class LoiteringParams(Params):
    """Loitering parameters; defaults from DETECTION.md §1.2 and §1.7 unless stated.

    max_speed_knots: the hourly mean implied speed must stay below this. 2 kn, GFW
        (pipe-loitering ``--slow_threshold``).
    min_duration_h: minimum duration. 4 h, GFW RFMO reports and Welch et al. 2022 (the raw
        GFW table uses 2 h, Miller et al. 2018 8 h).
    min_distance_from_shore_nm: the mean distance from shore over the event must be at least
        this. 20 nm, GFW product table and Welch et al. 2022.
    min_distance_to_port_km: the mean position must be at least this far from any port or
        anchorage (a ship at anchor off a port is waiting, not loitering). 10 km, the GFW
        encounter port distance (DETECTION.md §1.1).
    speed_window_h: the speed is averaged over a window of this length centred on each grid
        point. 1 h, GFW's hourly buckets.
    resample_interval_min: the grid step. 10 min, as the encounter detector (GFW).
    max_gap_h: positions further apart in time are not bridged: a run of slow points never
        spans a longer gap. 1.5 h, as the encounter detector's ``max_interpolation_gap_h``:
        satellite reporting every 30-70 min is bridged, a multi-hour dark gap is not.
    """

    max_speed_knots: float = 2.0
    min_duration_h: float = 4.0
    min_distance_from_shore_nm: float = 20.0
    min_distance_to_port_km: float = 10.0
    speed_window_h: float = 1.0
    resample_interval_min: float = 10.0
    max_gap_h: float = 1.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.resample_interval_min <= 0 or self.speed_window_h <= 0:
            raise ValueError("resample_interval_min and speed_window_h must be > 0")
        if self.max_gap_h * 60 < self.resample_interval_min:
            raise ValueError("max_gap_h must be at least resample_interval_min")


def hourly_speed_knots(grid: pl.DataFrame, window_h: float, interval_min: float) -> np.ndarray:
    """Mean implied speed (knots) over a window centred on each grid point, within its segment.

    The window is cut at segment ends (so it never spans a dark gap); NaN for a one-point
    segment. Path lengths come from a cumulative sum, so this is O(n) for any window.
    """
    n = grid.height
    seg = grid["seg"].to_numpy()
    path = np.cumsum(grid["step_m"].to_numpy())  # step_m is 0 at each segment's first point
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    lasts = np.r_[starts[1:], n] - 1
    half_steps = max(1, round(window_h * 60 / 2 / interval_min))
    out = np.empty(n)
    # a block of points at a time: the same arithmetic, on temporaries that stay in cache
    for b0 in range(0, n, _SPEED_BLOCK):
        i = np.arange(b0, min(n, b0 + _SPEED_BLOCK))
        s = np.searchsorted(starts, i, side="right") - 1  # each point's segment
        lo = np.maximum(i - half_steps, starts[s])
        hi = np.minimum(i + half_steps, lasts[s])
        seconds = (hi - lo) * interval_min * 60.0
        dist = path[hi] - path[lo]
        out[b0 : b0 + i.size] = np.divide(
            dist, seconds, out=np.full(i.size, np.nan), where=seconds > 0) / KNOT_M_PER_S
    return out


_SPEED_BLOCK = 65_536
"""Grid points per block of :func:`hourly_speed_knots`."""


def link_encounters(events: pl.DataFrame, prior: pl.DataFrame, params: Params) -> pl.DataFrame:
    """``related_event_ids``: encounters of the same MMSI overlapping each event in time."""
    if prior.height == 0 or "event_type" not in prior.columns:
        return events
    enc = prior.filter(pl.col("event_type") == "encounter")
    if enc.height == 0:
        return events
    by_vessel = pl.concat(
        [
            enc.select(pl.col(c).cast(pl.Int64).alias("mmsi"), pl.col("event_id").alias("_enc"),
                       pl.col("start_time").alias("e0"), pl.col("end_time").alias("e1"))
            for c in ("mmsi", "other_mmsi")
        ]
    ).drop_nulls("mmsi")
    related = (
        events.select("event_id", "mmsi", "start_time", "end_time")
        .join(by_vessel, on="mmsi", how="inner")
        .filter((pl.col("e0") <= pl.col("end_time")) & (pl.col("e1") >= pl.col("start_time")))
        .group_by("event_id")
        .agg(pl.col("_enc").unique().sort().alias("related_event_ids"))
    )
    if related.height == 0:
        return events
    return events.join(related, on="event_id", how="left", maintain_order="left")


@register(EVENT_TYPE, LoiteringParams, reads=("encounter",), link=link_encounters,
          details=(DETAILS,))
def detect(data: DetectionInput, params: LoiteringParams) -> pl.DataFrame:
    """Loitering events per track (GFW definition, DETECTION.md §1.2).

    ``median_speed_knots`` is the median 10-minute implied speed over the event;
    ``distance_from_shore_km`` the mean over its grid points; ``distance_to_port_km`` at the
    mean position; evidence the first and last real position in the event.
    """
    p = params
    iv = interval_us(p.resample_interval_min)
    grid = data.grid(p.resample_interval_min, p.max_gap_h)
    if grid.height == 0:
        return pl.DataFrame()
    hourly = hourly_speed_knots(grid, p.speed_window_h, p.resample_interval_min)
    slow = np.nan_to_num(hourly, nan=np.inf) < p.max_speed_knots
    seg = grid["seg"].to_numpy()
    start = slow.copy()
    start[1:] &= ~(slow[:-1] & (seg[1:] == seg[:-1]))
    run = np.cumsum(start) - 1
    points = (
        grid.with_columns(pl.Series("run", run), pl.Series("hourly_speed", hourly))
        .filter(pl.Series(slow))
        .with_columns(*xyz_exprs("lat", "lon", "p"))
    )
    runs = (
        points.group_by("run")
        .agg(
            pl.col("track_id", "mmsi").first(),
            pl.col("k").min().alias("k0"),
            pl.col("k").max().alias("k1"),
            pl.col("step_m").first().alias("first_step_m"),
            pl.col("speed_knots").median().alias("median_speed_knots"),
            pl.col("hourly_speed").max().alias("max_hourly_speed_knots"),
            pl.col("real").mean().alias("real_share"),
        )
        .filter((pl.col("k1") - pl.col("k0")) * iv >= round(p.min_duration_h * US_PER_H))
        .sort("run")
    )
    sums = ordered_sums(points, "run", {c: pl.col(c) for c in ("x_p", "y_p", "z_p", "step_m")})
    runs = runs.join(sums, on="run", how="left", maintain_order="left").with_columns(
        *[(pl.col(c) / pl.col("n")) for c in ("x_p", "y_p", "z_p")],
        # the first point's step leads into the run, not along it
        (pl.col("step_m") - pl.col("first_step_m")).alias("path_m"),
    )
    if runs.height == 0:
        return pl.DataFrame()
    lat, lon = unit_to_lat_lon(runs["x_p"].to_numpy(), runs["y_p"].to_numpy(),
                               runs["z_p"].to_numpy())
    runs = runs.with_columns(
        pl.Series("lat", lat),
        pl.Series("lon", lon),
        pl.Series("distance_to_port_km", data.ports_and_places().distance_to_port_km(lat, lon)),
    ).filter(pl.col("distance_to_port_km") >= p.min_distance_to_port_km)
    if runs.height == 0:
        return pl.DataFrame()
    centres = runs.select("run", pl.col("lat").alias("c_lat"), pl.col("lon").alias("c_lon"))
    pts = points.join(centres, on="run", how="inner", maintain_order="left")
    pts = pts.with_columns(
        pl.Series(
            "shore_km",
            data.reference.distance_from_shore_km(pts["lat"].to_numpy(), pts["lon"].to_numpy()),
        ),
        haversine_m_expr(pl.col("lat"), pl.col("lon"), pl.col("c_lat"), pl.col("c_lon"))
        .alias("from_centre_m"),
    )
    per_run = pts.group_by("run").agg(
        pl.col("shore_km").min().alias("min_distance_from_shore_km"),
        pl.col("from_centre_m").max().alias("radius_m"),
    ).join(
        ordered_sums(pts, "run", {"shore_km": pl.col("shore_km")}).select(
            "run", (pl.col("shore_km") / pl.col("n")).alias("distance_from_shore_km")
        ),
        on="run",
    )
    runs = runs.join(per_run, on="run", how="inner").filter(
        pl.col("distance_from_shore_km") >= p.min_distance_from_shore_nm * METRES_PER_NM / 1000
    )
    if runs.height == 0:
        return pl.DataFrame()
    half = iv // 2
    found = positions_in_windows(
        data.tracks,
        runs.select("run", "track_id", (pl.col("k0") * iv - half).alias("w0"),
                    (pl.col("k1") * iv + half).alias("w1")),
    )
    runs = runs.join(found.select("run", "n_positions", "evidence"), on="run", how="left")
    duration_h = (pl.col("k1") - pl.col("k0")) * iv / US_PER_H
    details = DETAILS.expr(
        track_id=pl.col("track_id"),
        mean_speed_knots=(pl.col("path_m") / (duration_h * S_PER_H) / KNOT_M_PER_S).round(3),
        max_hourly_speed_knots=pl.col("max_hourly_speed_knots").round(3),
        radius_m=pl.col("radius_m").round(1),
        min_distance_from_shore_km=pl.col("min_distance_from_shore_km").round(3),
        real_share=pl.col("real_share").round(3),
        resample_interval_min=pl.lit(p.resample_interval_min),
    )
    out = runs.select(
        "run",
        pl.lit(EVENT_TYPE).alias("event_type"),
        "mmsi",
        grid_timestamp(pl.col("k0"), p.resample_interval_min).alias("start_time"),
        grid_timestamp(pl.col("k1"), p.resample_interval_min).alias("end_time"),
        "lat",
        "lon",
        duration_h.alias("duration_h"),
        "median_speed_knots",
        "distance_from_shore_km",
        finite_or_null("distance_to_port_km"),
        pl.col("n_positions").fill_null(0),
        pl.col("evidence").fill_null([]),
        details.alias("details"),
        "track_id",
    )
    out = out.sort("mmsi", "start_time", "track_id").drop("run")
    return unique_event_ids(out, [], pl.col("track_id").cast(pl.Utf8)).drop("track_id")
