"""Apparent fishing from movement: trawling and squid jigging, one event per fishing episode.

GFW infers fishing with a neural network over speed and course patterns (Kroodsma et al. 2018,
*Science* 359:904, "Tracking the global footprint of fisheries"); Park et al. 2020 (*Sci.
Adv.* 6:eabb1197) used that model for the AIS part of the DPRK study. The model is not
reproducible offline, so this module uses the movement heuristics those papers describe for
the two gears that fish DPRK waters (Park et al.: Chinese pair trawlers and lighting squid
jiggers):

- **trawling**: sustained slow speed (hourly mean implied speed 1.5-5.5 kn) with frequent
  course changes, i.e. low straightness (net displacement / path length) over a few hours: a
  trawler tows at 2-5 kn back and forth over a ground, a ship in transit at the same speed
  goes straight;
- **squid jigging**: at night (sunset to sunrise where the boat is), near-stationary drift at
  sea (lights on, sea anchor out), the boat moving by day. A drift that does not keep to the
  night is loitering, not jigging.

Each vessel's track is resampled onto the 10-minute grid shared with the encounter and
loitering detectors (so dark gaps are never bridged). Grid points within
``min_distance_to_port_km`` of a port or anchorage are never fishing points, so merchant ships
slowing for a pilot or an anchorage do not fire; AIS ship types that move like fishing boats
but are not (tugs, dredgers, pilots, law enforcement, sailing and pleasure craft) are
excluded. AIS ship type 30 (fishing) is supporting evidence only: a vessel not declaring it
needs a longer episode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.detectors.base import DetectionInput, Params, register
from sanctionwatch.detectors.common import finite_or_null, ordered_sums, unique_event_ids
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.detectors.loitering import hourly_speed_knots
from sanctionwatch.geo import haversine_m
from sanctionwatch.tracks.resample import (
    grid_timestamp,
    interval_us,
    positions_in_windows,
    unit_to_lat_lon,
    xyz_exprs,
)
from sanctionwatch.units import US_PER_H

EVENT_TYPE = "fishing"

GEARS = ("trawler", "squid_jigger", "unknown")
"""Gear guesses: ``trawler`` (trawling movement at trawling speed), ``squid_jigger`` (night
drift), ``unknown`` (meandering slower than trawling: a gillnet, longline or purse seine
haul moves like that, and so does a vessel working its gear by hand)."""

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DETAILS = Details(
    {
        "gear": Key(pl.Utf8(), "gear guess: trawler, squid_jigger or unknown"),
        "track_id": Key(pl.Int64(), "the vessel's track"),
        "ship_type": Key(pl.Int64(), "the AIS ship type the vessel reported (null: none)"),
        "declared_fishing": Key(pl.Boolean(), "the AIS ship type is a fishing type"),
        "median_speed_knots": Key(pl.Float64(), "median hourly mean implied speed"),
        "straightness": Key(pl.Float64(),
                            "median over the episode of net displacement / path length in "
                            "the straightness window (1 = straight line)"),
        "turning_rate_deg_per_h": Key(pl.Float64(), "mean absolute course change per hour"),
        "night_share": Key(pl.Float64(), "share of the episode's grid points at local night"),
        "fishing_hours": Key(pl.Float64(), "hours of grid points classed as fishing"),
        "real_share": Key(pl.Float64(), "share of grid points with a real position"),
        "resample_interval_min": Key(pl.Float64(), "the grid step"),
    }
)

NOT_FISHING_SHIP_TYPES = (31, 32, 33, 34, 35, 36, 37, 50, 51, 52, 53, 54, 55, 58)
"""AIS ship types (ITU-R M.1371 table 53) whose work moves like fishing: towing (31, 32),
dredging/underwater operations (33), diving (34), military (35), sailing (36, tacking),
pleasure craft (37), pilot (50), search and rescue (51), tug (52), port tender (53),
anti-pollution (54), law enforcement (55), medical (58)."""


@dataclass(frozen=True)
class FishingParams(Params):
    """Apparent-fishing parameters.

    min_trawl_speed_knots, max_trawl_speed_knots: a trawling grid point's hourly mean implied
        speed lies in this band. 1.5-5.5 kn: trawlers tow at about 2-5 kn (the trawling speed
        of issue 19 and of Park et al. 2020's pair trawlers; Kroodsma et al. 2018's model
        learns fishing from speed and course changes but publishes no threshold), widened by
        0.5 kn either way for the error of an hourly mean.
    trawler_min_median_speed_knots: an episode of trawling points whose median speed is below
        this is gear ``unknown`` rather than ``trawler``. 2 kn, the lower end of towing speed
        (as above).
    max_straightness_share: a trawling point's straightness (net displacement as a share of
        the path length over ``straightness_window_h``) is below this. 0.6, chosen by us: a
        vessel holding course within ±30° scores above 0.85; a trawler turning over its
        ground well below 0.5.
    straightness_window_h: the window, centred on each grid point, of the straightness. 3 h,
        chosen by us: longer than one tow leg of the simulated and typical trawler (1-2 h), so
        the turns at both ends are in it.
    straightness_hold_h: a grid point at trawling speed counts as turning when the
        straightness anywhere within this time either side of it is below
        ``max_straightness_share``. 1 h, chosen by us: a straight tow leg between turns stays
        part of the trawling; a ship holding course at that speed for hours does not.
    max_drift_speed_knots: a squid-jigging point's hourly mean speed is below this. 1 kn,
        chosen by us: a jigger on a sea anchor drifts with the current (a few tenths of a
        knot), a ship under way is faster.
    night_by_sun: night is from sunset to sunrise at each grid point's latitude and date
        (the sun's centre below -0.833°, the almanac sunset: refraction and the solar disc),
        when jiggers light their lamps and fish. True: sunset moves by about three hours over
        the squid seasons of the Sea of Japan and the Yellow Sea (about 19 h local solar time
        in June at 40° N, 16:40 h in December), so fixed hours cut hours off every jigging
        night outside midsummer (in March, sunset is about 17:40 h). False: the fixed hours
        below.
    night_start_local_h, night_end_local_h: with ``night_by_sun`` False, local solar time
        (UTC + longitude / 15) of night (clock hours, taken modulo 24). 19 h to 5 h, chosen
        by us for the Sea of Japan's summer squid season (sunset about 19 h, sunrise about
        5 h local solar time).
    min_night_share: a drift episode counts as jigging when at least this share of it is at
        night. 0.8, chosen by us: a drift that keeps to the night.
    day_window_h: the daytime hours before and after a night drift that are looked at. 6 h,
        chosen by us: the morning and the evening around the night.
    max_day_slow_share: a night drift is jigging only when the vessel was slow (below
        ``max_drift_speed_knots``) at less than this share of the daytime grid points in
        ``day_window_h`` around it: a jigger steams home or to new grounds by day, a ship at
        anchor or waiting is slow by day too. 0.5, chosen by us. Without daytime positions
        there, only a vessel declaring a fishing ship type can be jigging.
    min_jig_nights_count: a vessel not declaring a fishing ship type needs at least this many
        jigging nights in its track for any of them to count. 2, chosen by us: one night of
        drifting is also what a ship waiting for a transfer does.
    min_duration_h: minimum duration of an episode of a vessel declaring a fishing ship type.
        2 h, chosen by us: "for hours" (a trawl tow lasts 1-4 h; a jigging night 6-10 h).
    min_duration_undeclared_h: the same for a vessel without a fishing ship type. 4 h, the
        loitering detector's minimum (GFW, DETECTION.md §1.2): without the type, more
        movement is needed.
    merge_gap_h: episodes of one track less than this apart are one episode. 1 h, chosen by
        us: a haul or a short turn between tows is not the end of the fishing.
    min_distance_to_port_km: grid points nearer than this to a port or anchorage are never
        fishing points. 10 km, GFW's encounter port distance (DETECTION.md §1.1).
    fishing_ship_types: AIS ship types counting as declared fishing vessels. 30 (ITU-R M.1371
        table 53).
    excluded_ship_types: AIS ship types never reported as fishing
        (:data:`NOT_FISHING_SHIP_TYPES`).
    resample_interval_min: the grid step. 10 min, as the encounter detector (GFW).
    max_gap_h: gaps longer than this are not bridged. 1.5 h, as the loitering detector.
    """

    min_trawl_speed_knots: float = 1.5
    max_trawl_speed_knots: float = 5.5
    trawler_min_median_speed_knots: float = 2.0
    max_straightness_share: float = 0.6
    straightness_window_h: float = 3.0
    straightness_hold_h: float = 1.0
    max_drift_speed_knots: float = 1.0
    night_by_sun: bool = True
    night_start_local_h: float = 19.0
    night_end_local_h: float = 5.0
    min_night_share: float = 0.8
    day_window_h: float = 6.0
    max_day_slow_share: float = 0.5
    min_jig_nights_count: int = 2
    min_duration_h: float = 2.0
    min_duration_undeclared_h: float = 4.0
    merge_gap_h: float = 1.0
    min_distance_to_port_km: float = 10.0
    fishing_ship_types: tuple[str, ...] = ("30",)
    excluded_ship_types: tuple[str, ...] = tuple(str(t) for t in NOT_FISHING_SHIP_TYPES)
    resample_interval_min: float = 10.0
    max_gap_h: float = 1.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.resample_interval_min <= 0 or self.straightness_window_h <= 0:
            raise ValueError("resample_interval_min and straightness_window_h must be > 0")
        if self.max_gap_h * 60 < self.resample_interval_min:
            raise ValueError("max_gap_h must be at least resample_interval_min")
        if self.min_trawl_speed_knots >= self.max_trawl_speed_knots:
            raise ValueError("min_trawl_speed_knots must be below max_trawl_speed_knots")
        if max(self.max_straightness_share, self.min_night_share, self.max_day_slow_share) > 1:
            raise ValueError("max_straightness_share, min_night_share and "
                             "max_day_slow_share must be <= 1")
        for name in ("fishing_ship_types", "excluded_ship_types"):
            for v in getattr(self, name):
                if not str(v).strip().isdigit():
                    raise ValueError(f"{name}: {v!r} is not an AIS ship type number")


def _segment_bounds(seg: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64],
                                                         npt.NDArray[np.int64]]:
    """Each grid row's segment's first and last row."""
    n = seg.size
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    lengths = np.diff(np.r_[starts, n])
    first = np.repeat(starts, lengths)
    return first, first + np.repeat(lengths, lengths) - 1


def straightness(grid: pl.DataFrame, window_h: float, interval_min: float) -> FloatArray:
    """Net displacement / path length over a window centred on each grid point, within its
    segment (1: a straight line; near 0: back and forth). NaN where the path is empty."""
    n = grid.height
    if n == 0:
        return np.empty(0)
    seg = grid["seg"].to_numpy()
    first, last = _segment_bounds(seg)
    half = max(1, round(window_h * 60 / 2 / interval_min))
    i = np.arange(n)
    lo = np.maximum(i - half, first)
    hi = np.minimum(i + half, last)
    path = np.cumsum(grid["step_m"].to_numpy())
    length = path[hi] - path[lo]
    lat = grid["lat"].to_numpy()
    lon = grid["lon"].to_numpy()
    net = haversine_m(lat[lo], lon[lo], lat[hi], lon[hi])
    out = np.divide(net, length, out=np.full(n, np.nan), where=length > 1.0)
    return np.asarray(np.minimum(out, 1.0))


def course_deg(grid: pl.DataFrame) -> FloatArray:
    """Course over ground (degrees) of the grid step ending at each point; NaN at a segment's
    first point and for steps shorter than a metre (no course)."""
    lat = np.radians(grid["lat"].to_numpy())
    lon = np.radians(grid["lon"].to_numpy())
    n = lat.size
    out = np.full(n, np.nan)
    if n < 2:
        return out
    dlon = lon[1:] - lon[:-1]
    y = np.sin(dlon) * np.cos(lat[1:])
    x = np.cos(lat[:-1]) * np.sin(lat[1:]) - np.sin(lat[:-1]) * np.cos(lat[1:]) * np.cos(dlon)
    brg = np.degrees(np.arctan2(y, x)) % 360.0
    seg = grid["seg"].to_numpy()
    ok = (seg[1:] == seg[:-1]) & (grid["step_m"].to_numpy()[1:] >= 1.0)
    out[1:] = np.where(ok, brg, np.nan)
    return out


def turn_deg(course: FloatArray, seg: npt.NDArray[np.int64]) -> FloatArray:
    """Absolute course change (0-180 degrees) into each grid point; NaN when unknown."""
    out = np.full(course.size, np.nan)
    if course.size < 2:
        return out
    d = np.abs((course[1:] - course[:-1] + 180.0) % 360.0 - 180.0)
    out[1:] = np.where(seg[1:] == seg[:-1], d, np.nan)
    return out


def local_night(grid: pl.DataFrame, start_h: float, end_h: float) -> BoolArray:
    """Whether each grid point is at local solar night (UTC hour + longitude / 15)."""
    ts = grid["timestamp"].dt.epoch("us").to_numpy()
    utc_h = (ts / US_PER_H) % 24.0
    local = (utc_h + grid["lon"].to_numpy() / 15.0) % 24.0
    start_h, end_h = start_h % 24.0, end_h % 24.0  # clock hours: 29 h is 5 h
    if start_h > end_h:  # night spans midnight
        return np.asarray((local >= start_h) | (local < end_h))
    return np.asarray((local >= start_h) & (local < end_h))


SUNSET_ELEVATION_DEG = -0.833
"""The sun's centre at sunset and sunrise: refraction (34') and the solar semi-diameter (16')."""


def sun_night(grid: pl.DataFrame) -> BoolArray:
    """Whether the sun is set at each grid point (its centre below
    :data:`SUNSET_ELEVATION_DEG`): declination by day of year (Cooper 1969), hour angle from
    local mean solar time (the equation of time, < 17 min, is ignored)."""
    ts = grid["timestamp"].dt.epoch("us").to_numpy()
    lat = np.radians(grid["lat"].to_numpy())
    lon = grid["lon"].to_numpy()
    day = ts / (24 * US_PER_H)
    doy = np.floor(day - np.floor(day / 365.2425) * 365.2425) + 1  # ~day of year (UTC)
    decl = np.radians(-23.44) * np.cos(2 * np.pi / 365.0 * (doy + 10))
    hour_angle = np.radians(15.0 * (((ts / US_PER_H) % 24.0 + lon / 15.0) % 24.0 - 12.0))
    sin_elev = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    return np.asarray(sin_elev < np.sin(np.radians(SUNSET_ELEVATION_DEG)))


def ship_types(reports: pl.DataFrame) -> dict[int, int]:
    """Each MMSI's most often reported non-zero AIS ship type."""
    if reports.height == 0 or "ship_type" not in reports.columns:
        return {}
    known = reports.select("mmsi", pl.col("ship_type").cast(pl.Int64)).filter(
        pl.col("ship_type").is_not_null() & (pl.col("ship_type") > 0))
    if known.height == 0:
        return {}
    top = (known.group_by("mmsi", "ship_type").len()
           .sort("mmsi", "len", "ship_type", descending=[False, True, False])
           .unique("mmsi", keep="first", maintain_order=True))
    return dict(zip(top["mmsi"].to_list(), top["ship_type"].to_list(), strict=True))


def _runs(flag: BoolArray, seg: npt.NDArray[np.int64], k: npt.NDArray[np.int64],
          tid: npt.NDArray[np.int64], merge_steps: int) -> npt.NDArray[np.int64]:
    """Episode number of each flagged grid point (-1 elsewhere): runs of flagged points of one
    track, merged when fewer than ``merge_steps`` grid steps apart (never across tracks)."""
    out = np.full(flag.size, -1, dtype=np.int64)
    idx = np.flatnonzero(flag)
    if idx.size == 0:
        return out
    new = np.ones(idx.size, dtype=bool)
    new[1:] = (tid[idx[1:]] != tid[idx[:-1]]) | (k[idx[1:]] - k[idx[:-1]] > merge_steps)
    # a segment break (dark gap) inside the merge distance still ends the episode
    new[1:] |= (seg[idx[1:]] != seg[idx[:-1]]) & (k[idx[1:]] - k[idx[:-1]] > 1)
    out[idx] = np.cumsum(new) - 1
    return out


def classify(grid: pl.DataFrame, data: DetectionInput, p: FishingParams) -> pl.DataFrame:
    """The grid with the per-point features and classes: ``hourly_speed``, ``straight``,
    ``turn``, ``night``, ``night_id`` (the local solar date the night began), ``trawl``,
    ``drift``."""
    hourly = hourly_speed_knots(grid, 1.0, p.resample_interval_min)
    straight = straightness(grid, p.straightness_window_h, p.resample_interval_min)
    seg = grid["seg"].to_numpy()
    turn = turn_deg(course_deg(grid), seg)
    night = (sun_night(grid) if p.night_by_sun
             else local_night(grid, p.night_start_local_h, p.night_end_local_h))
    # the local solar day a night starts on (noon to noon): nights of a drift are counted
    ts = grid["timestamp"].dt.epoch("us").to_numpy()
    local_us = ts + grid["lon"].to_numpy() / 15.0 * US_PER_H
    night_id = np.floor((local_us - 12 * US_PER_H) / (24 * US_PER_H)).astype(np.int64)
    lat, lon = grid["lat"].to_numpy(), grid["lon"].to_numpy()
    ref = data.ports_and_places()
    at_sea = np.ones(grid.height, dtype=bool)
    if p.min_distance_to_port_km > 0 and grid.height:
        dist, _ = ref.nearest_port(lat, lon, within_km=p.min_distance_to_port_km)
        at_sea = np.asarray(dist >= p.min_distance_to_port_km)
    at_sea &= np.asarray(data.reference.distance_from_shore_km(lat, lon)) > 0
    sp = np.nan_to_num(hourly, nan=-1.0)
    hold = max(0, round(p.straightness_hold_h * 60 / p.resample_interval_min))
    st = np.nan_to_num(straight, nan=1.0)
    if hold:
        st = (pl.DataFrame({"seg": seg, "st": st})
              .select(pl.col("st").rolling_min(2 * hold + 1, center=True, min_samples=1)
                      .over("seg"))["st"].to_numpy())
    trawl = at_sea & (sp >= p.min_trawl_speed_knots) & (sp <= p.max_trawl_speed_knots) & (
        st < p.max_straightness_share)
    drift = at_sea & (sp >= 0) & (sp < p.max_drift_speed_knots) & night
    return grid.with_columns(
        pl.Series("hourly_speed", hourly).fill_nan(None),
        pl.Series("straight", straight).fill_nan(None),
        pl.Series("turn", turn).fill_nan(None), pl.Series("night", night),
        pl.Series("night_id", night_id),
        pl.Series("trawl", trawl),
        pl.Series("drift", drift),
    )


def _day_slow_share(g: pl.DataFrame, eps: pl.DataFrame, p: FishingParams, iv: int
                    ) -> pl.DataFrame:
    """Per drift episode: the share of slow grid points among the daytime grid points of its
    track within ``day_window_h`` before and after it (null when there are none)."""
    tid = g["track_id"].to_numpy()
    k = g["k"].to_numpy()
    rank = np.zeros(tid.size, dtype=np.int64)
    rank[1:] = np.cumsum(tid[1:] != tid[:-1])
    k_lo = int(k.min())
    span = int(k.max()) - k_lo + 1 + 2 * max(1, round(p.day_window_h * US_PER_H / iv)) + 2
    key = rank * span + (k - k_lo)
    sp = g["hourly_speed"].fill_null(np.nan).to_numpy()
    day = ~g["night"].to_numpy() & np.isfinite(sp)
    slow = day & (sp < p.max_drift_speed_knots)
    cum_day = np.r_[0, np.cumsum(day)]
    cum_slow = np.r_[0, np.cumsum(slow)]
    rank_of = dict(zip(tid.tolist(), rank.tolist(), strict=False))
    w = round(p.day_window_h * US_PER_H / iv)
    share = []
    for t, k0, k1 in eps.select("track_id", "k0", "k1").iter_rows():
        base = rank_of[t] * span
        n_day = n_slow = 0
        for a, b in ((k0 - w, k0 - 1), (k1 + 1, k1 + w)):
            i0 = np.searchsorted(key, base + (a - k_lo), side="left")
            i1 = np.searchsorted(key, base + (b - k_lo), side="right")
            n_day += int(cum_day[i1] - cum_day[i0])
            n_slow += int(cum_slow[i1] - cum_slow[i0])
        share.append(n_slow / n_day if n_day else None)
    return eps.with_columns(pl.Series("day_slow_share", share, dtype=pl.Float64))


def _episodes(points: pl.DataFrame, mode: str, iv: int) -> pl.DataFrame:
    """Per episode of ``points`` (rows with an ``episode`` number): its figures."""
    pts = points.with_columns(*xyz_exprs("lat", "lon", "p"))
    runs = pts.group_by("episode").agg(
        pl.col("track_id", "mmsi").first(),
        pl.col("k").min().alias("k0"),
        pl.col("k").max().alias("k1"),
        pl.len().alias("n_points"),
        pl.col("hourly_speed").median().alias("median_speed_knots"),
        pl.col("straight").median().alias("straightness"),
        pl.col("turn").mean().alias("mean_turn_deg"),
        pl.col("night").mean().alias("night_share"),
        pl.col("real").mean().alias("real_share"),
        pl.col("night_id").filter(pl.col("night")).n_unique().alias("nights"),
    ).sort("episode")
    sums = ordered_sums(pts, "episode", {c: pl.col(c) for c in ("x_p", "y_p", "z_p")})
    return runs.join(sums, on="episode", how="left", maintain_order="left").with_columns(
        pl.lit(mode).alias("mode"),
        *[(pl.col(c) / pl.col("n")) for c in ("x_p", "y_p", "z_p")],
    )


@register(EVENT_TYPE, FishingParams, reads=(), details=(DETAILS,))
def detect(data: DetectionInput, params: FishingParams) -> pl.DataFrame:
    """Apparent-fishing episodes per track (trawling or squid jigging; module docstring).

    ``median_speed_knots`` is the median hourly mean implied speed; ``duration_h`` the
    episode's span (``details.fishing_hours`` the time classed as fishing within it); the
    position the mean of its fishing points; evidence the first and last real position.
    """
    p = params
    iv = interval_us(p.resample_interval_min)
    grid = data.grid(p.resample_interval_min, p.max_gap_h)
    if grid.height == 0:
        return pl.DataFrame()
    types = ship_types(data.reports)
    excluded = {int(t) for t in p.excluded_ship_types}
    fishing_types = {int(t) for t in p.fishing_ship_types}
    bad = [m for m, t in types.items() if t in excluded]
    if bad:
        grid = grid.filter(~pl.col("mmsi").is_in(bad))
    if grid.height == 0:
        return pl.DataFrame()
    g = classify(grid, data, p)
    seg, k, tid = g["seg"].to_numpy(), g["k"].to_numpy(), g["track_id"].to_numpy()
    merge_steps = max(1, round(p.merge_gap_h * US_PER_H / iv))
    parts = []
    for mode in ("trawl", "drift"):
        ep = _runs(g[mode].to_numpy(), seg, k, tid, merge_steps)
        pts = g.with_columns(pl.Series("episode", ep)).filter(pl.col("episode") >= 0)
        if pts.height:
            parts.append(_episodes(pts, mode, iv).with_columns(
                (pl.col("episode") * 2 + (0 if mode == "trawl" else 1)).alias("episode")))
    if not parts:
        return pl.DataFrame()
    typed = pl.DataFrame({"mmsi": list(types), "ship_type": list(types.values())},
                         schema={"mmsi": pl.Int64, "ship_type": pl.Int64})
    eps = pl.concat(parts, how="vertical_relaxed").join(
        typed, on="mmsi", how="left", maintain_order="left").with_columns(
        pl.col("ship_type").is_in(sorted(fishing_types)).fill_null(False)
        .alias("declared_fishing"),
    )
    min_us = pl.when(pl.col("declared_fishing")).then(round(p.min_duration_h * US_PER_H)) \
        .otherwise(round(p.min_duration_undeclared_h * US_PER_H))
    eps = eps.filter((pl.col("k1") - pl.col("k0")) * iv >= min_us)
    # squid jigging: a drift that keeps to the night; without a fishing ship type, on at
    # least min_jig_nights_count nights of the track
    jig = (pl.col("mode") == "drift")
    eps = eps.filter(~jig | (pl.col("night_share") >= p.min_night_share))
    drifts = _day_slow_share(g, eps.filter(jig), p, iv)
    eps = pl.concat([eps.filter(~jig).with_columns(pl.lit(None, pl.Float64)
                                                   .alias("day_slow_share")), drifts],
                    how="vertical_relaxed")
    # at anchor or waiting (slow by day too) is not jigging; no daytime positions: only a
    # declared fishing vessel
    eps = eps.filter(~jig | pl.when(pl.col("day_slow_share").is_null())
                     .then(pl.col("declared_fishing"))
                     .otherwise(pl.col("day_slow_share") < p.max_day_slow_share))
    nights = eps.filter(jig).group_by("track_id").agg(pl.col("nights").sum().alias("_nights"))
    eps = eps.join(nights, on="track_id", how="left").filter(
        ~jig | pl.col("declared_fishing")
        | (pl.col("_nights").fill_null(0) >= p.min_jig_nights_count)
    ).drop("_nights")
    if eps.height == 0:
        return pl.DataFrame()
    lat, lon = unit_to_lat_lon(eps["x_p"].to_numpy(), eps["y_p"].to_numpy(),
                               eps["z_p"].to_numpy())
    ref = data.ports_and_places()
    eps = eps.with_columns(
        pl.Series("lat", lat), pl.Series("lon", lon),
        pl.Series("distance_to_port_km", ref.distance_to_port_km(lat, lon)),
        pl.Series("distance_from_shore_km", data.reference.distance_from_shore_km(lat, lon)),
    ).filter(pl.col("distance_to_port_km") >= p.min_distance_to_port_km)
    if eps.height == 0:
        return pl.DataFrame()
    half = iv // 2
    found = positions_in_windows(
        data.tracks,
        eps.select("episode", "track_id", (pl.col("k0") * iv - half).alias("w0"),
                   (pl.col("k1") * iv + half).alias("w1")),
    )
    eps = eps.join(found.select("episode", "n_positions", "evidence"), on="episode", how="left")
    step_h = p.resample_interval_min / 60.0
    gear = (pl.when(pl.col("mode") == "drift").then(pl.lit("squid_jigger"))
            .when(pl.col("median_speed_knots") >= p.trawler_min_median_speed_knots)
            .then(pl.lit("trawler")).otherwise(pl.lit("unknown")))
    details = DETAILS.expr(
        gear=gear,
        track_id=pl.col("track_id"),
        ship_type=pl.col("ship_type"),
        declared_fishing=pl.col("declared_fishing"),
        median_speed_knots=pl.col("median_speed_knots").round(3),
        straightness=pl.col("straightness").round(3),
        turning_rate_deg_per_h=(pl.col("mean_turn_deg") / step_h).round(1),
        night_share=pl.col("night_share").round(3),
        fishing_hours=(pl.col("n_points") * step_h).round(2),
        real_share=pl.col("real_share").round(3),
        resample_interval_min=pl.lit(p.resample_interval_min),
    )
    out = eps.select(
        pl.lit(EVENT_TYPE).alias("event_type"),
        "mmsi",
        grid_timestamp(pl.col("k0"), p.resample_interval_min).alias("start_time"),
        grid_timestamp(pl.col("k1"), p.resample_interval_min).alias("end_time"),
        "lat",
        "lon",
        ((pl.col("k1") - pl.col("k0")) * iv / US_PER_H).alias("duration_h"),
        "median_speed_knots",
        finite_or_null("distance_to_port_km"),
        finite_or_null("distance_from_shore_km"),
        pl.col("n_positions").fill_null(0),
        pl.col("evidence").fill_null([]),
        details.alias("details"),
        "track_id",
    ).sort("mmsi", "start_time", "track_id")
    return unique_event_ids(out, [], pl.col("track_id").cast(pl.Utf8)).drop("track_id")
