"""Zone entries: when a vessel entered an area of interest, how long it stayed, when it left.

Areas of interest come with the reference data (``ReferenceData.zones``): DPRK-claimed waters
(DETECTION.md 1.5, 2) and the ship-to-ship transfer areas documented by the UN Panel of Experts
(DETECTION.md 3), plus any zones the user adds. One event is emitted per stay of a track in a
zone (subtype ``stay``): ``start_time`` is the first position seen inside, ``end_time`` the
first position seen outside again (or the last position when the track ends inside), so one row
answers "when did it enter, how long, when did it leave".

Membership comes from the vectorised ``zone_membership`` matrix. GPS jitter on a boundary is
debounced in time: a run of positions inside (or outside) that lasts less than
``min_stay_min`` does not change the vessel's state, except at the ends of a track, where the
run's true length is unknown. See ``docs/detectors/zone_entry.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.detectors.base import DetectionInput, Params, register
from sanctionwatch.detectors.common import iso_expr, unique_event_ids
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.detectors.stale_record import tracks_stale_mask
from sanctionwatch.reference import Zone
from sanctionwatch.schema import EVENTS
from sanctionwatch.units import US_PER_H, US_PER_MIN, hours_between

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

DETAILS = Details(
    {
        "started_inside": Key(pl.Boolean(), "the track's first position is inside (entry "
                              "not observed)"),
        "ended_inside": Key(pl.Boolean(), "the track's last position is inside (exit not "
                            "observed)"),
        "last_seen_outside": Key(pl.Utf8(), "time of the last position before entering"),
        "last_seen_inside": Key(pl.Utf8(), "time of the last position inside"),
        "unobserved_at_entry_h": Key(pl.Float64(), "hours between those and the entry"),
        "unobserved_at_exit_h": Key(pl.Float64(), "hours between the last position inside and "
                                    "the first outside"),
        "max_gap_inside_h": Key(pl.Float64(), "the longest silence inside, hours"),
        "n_positions_outside_debounced": Key(pl.Int64(), "positions outside within the stay, "
                                             "shorter than `min_stay_min` (jitter)"),
        "zone_kind": Key(pl.Utf8(), "kind of zone (e.g. waters, sts_area, user)"),
        "zone_source": Key(pl.Utf8(), "where the zone's geometry comes from"),
    }
)


@dataclass(frozen=True)
class ZoneEntryParams(Params):
    """Zone-entry parameters.

    min_stay_min: runs of positions inside (or outside) a zone shorter than this, in the middle
        of a track, are treated as GPS jitter and ignored. 30 min spans ten reports of a class A
        ship at anchor (3 min, ITU-R M.1371, DETECTION.md 4) and three steps of GFW's 10-min
        resampling grid (DETECTION.md 1.1), while a genuine incursion of a ship under way is
        kept: at 10 kn, 30 min is 5 nm inside. Set 0 to keep every crossing.
    """

    min_stay_min: float = 30.0


@register("zone_entry", ZoneEntryParams, reads=(), details=(DETAILS,))
def detect(data: DetectionInput, params: ZoneEntryParams) -> pl.DataFrame:
    """Zone stays: one event per stay of a track in an area of interest (subtype ``stay``).

    Start = first position inside, end = first position outside again (or the last position),
    with jitter shorter than ``min_stay_min`` debounced (DETECTION.md 1.5, 3).
    """
    tr = data.tracks
    zones = data.reference.zones
    if tr.height == 0 or len(zones) == 0:
        return EVENTS.empty()
    # a stale record stamped at midnight (the stale_record check) is no presence in a zone
    stale = tracks_stale_mask(data)
    if stale.any():
        tr = tr.filter(pl.Series(~stale))
        if tr.height == 0:
            return EVENTS.empty()
    lat = tr["lat"].to_numpy()
    lon = tr["lon"].to_numpy()
    tid = tr["track_id"].to_numpy()
    n = tid.size
    new_track = np.ones(n, dtype=bool)
    new_track[1:] = tid[1:] != tid[:-1]
    last_of_track = np.ones(n, dtype=bool)
    last_of_track[:-1] = new_track[1:]
    track_no = np.cumsum(new_track) - 1
    cand, cand_inside = _membership(data, lat, lon)
    # Only whole tracks that touch a zone matter: everything below works on their rows.
    touched = np.zeros(track_no[-1] + 1, dtype=bool)
    touched[track_no[cand[cand_inside.any(axis=1)]]] = True
    keep = np.flatnonzero(touched[track_no])
    if keep.size == 0:
        return EVENTS.empty()
    inside = np.zeros((keep.size, len(zones)), dtype=bool)
    kept_cand = touched[track_no[cand]]
    inside[np.searchsorted(keep, cand[kept_cand])] = cand_inside[kept_cand]
    tr = tr.select(
        "mmsi", "track_id", "timestamp", "lat", "lon", "sog_knots", "source", "record"
    )[keep]
    new_track, last_of_track = new_track[keep], last_of_track[keep]
    track_no = np.cumsum(new_track) - 1
    t = tr["timestamp"].dt.epoch("us").to_numpy()
    min_stay_us = int(params.min_stay_min * US_PER_MIN)

    base_rows = tr.select(
        "mmsi",
        "track_id",
        "timestamp",
        "lat",
        "lon",
        pl.col("sog_knots").cast(pl.Float64),
        pl.concat_str([pl.col("source"), pl.col("record").cast(pl.Utf8)], separator=":")
        .alias("ev"),
    ).with_columns(
        pl.Series("t", t),
        pl.Series("new_track", new_track),
        pl.Series("last_of_track", last_of_track),
    ).with_columns(
        pl.when(pl.col("new_track")).then(None).otherwise(pl.col("timestamp").shift(1))
        .alias("prev_time"),
        *[
            pl.when(pl.col("last_of_track")).then(None).otherwise(pl.col(c).shift(-1))
            .alias(f"next_{c}")
            for c in ("timestamp", "lat", "lon", "ev", "t")
        ],
    )

    frames: list[pl.DataFrame] = []
    # Loop over zones: each pass is vectorised over the positions, and zones are few (tens),
    # whereas a (positions x zones) working set of integer indices would not fit in memory.
    for j, zone in enumerate(zones):
        m = inside[:, j]
        if not m.any():
            continue
        # only tracks that touch the zone at all
        touched = np.bincount(track_no, weights=m, minlength=track_no[-1] + 1) > 0
        rows = np.flatnonzero(touched[track_no])
        state = _debounced(m[rows], t[rows], new_track[rows], last_of_track[rows], min_stay_us)
        stays = _stays(base_rows[rows], m[rows], state, new_track[rows], zone)
        if stays.height:
            frames.append(stays)
    if not frames:
        return EVENTS.empty()
    # two ships sharing an MMSI (two tracks) in one zone from one instant: tie on the track
    events = pl.concat(frames, how="vertical")
    return unique_event_ids(events, ["zone_id"], pl.col("track_id")).drop("track_id")


def _membership(
    data: DetectionInput, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> tuple[IntArray, BoolArray]:
    """Positions that may lie in a zone (inside some zone's bounding box) and their
    ``zone_membership`` rows: the polygon test dominates, and most traffic is outside every
    zone, so only these are tested. Every other position is in no zone."""
    bounds = np.array(
        [z.geometry.bounds for z in data.reference.zones], dtype=np.float64
    ).reshape(-1, 4)
    bounds = bounds[np.isfinite(bounds).all(axis=1)]  # an empty geometry contains nothing
    idx = np.arange(0, dtype=np.int64)
    if bounds.size:
        # the union box first, then each zone's box on what is left
        x0, y0 = bounds[:, :2].min(axis=0)
        x1, y1 = bounds[:, 2:].max(axis=0)
        idx = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        la, lo = lat[idx], lon[idx]
        cand = np.zeros(idx.size, dtype=bool)
        for bx0, by0, bx1, by1 in bounds:
            cand |= (lo >= bx0) & (lo <= bx1) & (la >= by0) & (la <= by1)
        idx = idx[cand].astype(np.int64)
    return idx, data.reference.zone_membership(lat[idx], lon[idx])


def _debounced(
    m: BoolArray, t: IntArray, new_track: BoolArray, last_of_track: BoolArray, min_stay_us: int
) -> BoolArray:
    """Membership with short runs removed: a run shorter than ``min_stay_us`` (time from its
    first position to the first position of the next run) takes the state of the last run
    that was long enough. A track's first and last runs are always kept: how long they lasted
    before or after the data is unknown, and an entry at the end of the data must be seen."""
    run_start = new_track | (m != np.r_[~m[:1], m[:-1]])
    starts = np.flatnonzero(run_start)
    ends = np.r_[starts[1:], m.size]  # exclusive
    first = new_track[starts]
    last = last_of_track[ends - 1]
    next_t = t[np.minimum(ends, m.size - 1)]
    long_enough = (next_t - t[starts]) >= min_stay_us
    kept = first | last | long_enough
    # the first run of every track is kept, so forward-filling never crosses tracks
    src = np.where(kept, np.arange(starts.size), -1)
    np.maximum.accumulate(src, out=src)
    run_state = m[starts][src]
    return np.asarray(np.repeat(run_state, ends - starts))


def _stays(
    rows: pl.DataFrame, raw: BoolArray, state: BoolArray, new_track: BoolArray, zone: Zone
) -> pl.DataFrame:
    """One EVENTS row per stay (maximal run of debounced-inside positions of one track)."""
    stay_start = state & (new_track | ~np.r_[False, state[:-1]])
    stay = np.cumsum(stay_start) - 1
    df = rows.with_columns(pl.Series("stay", stay), pl.Series("raw", raw)).filter(
        pl.Series(state)
    )
    if df.height == 0:
        return pl.DataFrame()
    # time to the next position, for the longest silence while inside (not the exit interval)
    df = df.with_columns(
        pl.when(pl.col("stay") == pl.col("stay").shift(-1))
        .then(pl.col("next_t") - pl.col("t"))
        .otherwise(0)
        .alias("dt_inside")
    )
    s = df.group_by("stay", maintain_order=True).agg(
        pl.col("mmsi").first(),
        pl.col("track_id").first(),
        pl.col("timestamp").first().alias("start_time"),
        pl.col("lat").first(),
        pl.col("lon").first(),
        pl.col("prev_time").first().alias("last_seen_outside"),
        pl.col("timestamp").last().alias("last_seen_inside"),
        pl.col("next_timestamp").last().alias("exit_time"),
        pl.col("next_lat").last().alias("exit_lat"),
        pl.col("next_lon").last().alias("exit_lon"),
        pl.col("lat").last().alias("last_lat"),
        pl.col("lon").last().alias("last_lon"),
        pl.col("new_track").first().alias("started_inside"),
        pl.col("last_of_track").last().alias("ended_inside"),
        pl.len().cast(pl.Int64).alias("n_positions"),
        pl.col("raw").not_().sum().cast(pl.Int64).alias("n_outside_debounced"),
        pl.col("dt_inside").max().alias("max_gap_us"),
        pl.col("sog_knots").median().alias("median_speed_knots"),
        pl.col("ev").first().alias("ev_first"),
        pl.col("ev").last().alias("ev_last"),
        pl.col("next_ev").last().alias("ev_exit"),
    )
    s = s.with_columns(
        pl.coalesce("exit_time", "last_seen_inside").alias("end_time"),
        pl.coalesce("exit_lat", "last_lat").alias("end_lat"),
        pl.coalesce("exit_lon", "last_lon").alias("end_lon"),
    ).with_columns(
        ((pl.col("end_time") - pl.col("start_time")).dt.total_microseconds() / US_PER_H)
        .alias("duration_h")
    )
    return s.select(
        pl.lit("zone_entry").alias("event_type"),
        "mmsi",
        "track_id",
        "start_time",
        "end_time",
        "lat",
        "lon",
        "duration_h",
        pl.lit("stay").alias("subtype"),
        "end_lat",
        "end_lon",
        "median_speed_knots",
        pl.lit(zone.is_dprk).alias("is_dprk"),
        pl.lit(zone.zone_id).alias("zone_id"),
        pl.lit(zone.name).alias("zone_name"),
        "n_positions",
        # first, last and exit position, each once
        pl.concat_list("ev_first", "ev_last", "ev_exit")
        .list.drop_nulls()
        .list.unique(maintain_order=True)
        .alias("evidence"),
        DETAILS.expr(
            started_inside=pl.col("started_inside"),
            ended_inside=pl.col("ended_inside"),
            last_seen_outside=iso_expr("last_seen_outside"),
            last_seen_inside=iso_expr("last_seen_inside"),
            unobserved_at_entry_h=hours_between("last_seen_outside", "start_time").round(4),
            unobserved_at_exit_h=hours_between("last_seen_inside", "exit_time").round(4),
            max_gap_inside_h=(pl.col("max_gap_us") / US_PER_H).round(4),
            n_positions_outside_debounced=pl.col("n_outside_debounced"),
            zone_kind=pl.lit(zone.kind),
            zone_source=pl.lit(zone.source),
        ).alias("details"),
    )
