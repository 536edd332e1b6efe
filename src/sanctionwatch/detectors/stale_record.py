"""Data quality: stale positions stamped at the start of a day.

Daily AIS files such as MarineCadastre's carry, at exactly 00:00:00-00:00:01 UTC, positions the
ship broadcast earlier (the previous day's last reports, stamped with the file's first
second). Read as fresh, each makes the ship jump tens to hundreds of km and back within a
second: an "impossible speed" that is the file's, not the ship's. A position is a
``stale_record`` when

1. its time of day is within ``day_start_window_s`` of 00:00:00 UTC,
2. track preparation split it off the MMSI's main track (its track with the most positions
   stamped after the day's first seconds, then the most positions) into a track of
   day-start records only, and
3. the main track's position nearest in time, within ``max_reference_h``, is impossibly far
   from it: more than ``noise_m + max_speed_knots * |dt|``.

One finding per MMSI and day, naming the stale records. ``spoofing`` ignores the same records
(:func:`stale_mask`), so they never make an ``impossible_speed`` event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.base import Params as BaseParams
from sanctionwatch.detectors.common import MAX_EVIDENCE, evidence_expr, iso_expr, with_event_ids
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.geo import KNOT_M_PER_S, haversine_m_expr
from sanctionwatch.units import US_PER_S, hours_between

EVENT_TYPE = "stale_record"

DETAILS = Details({
    "reference_time": Key(pl.Utf8(), "time of the main-track position the first stale one is "
                          "compared with (in `end_lat`/`end_lon`)"),
    "reference_record": Key(pl.Utf8(), "its record (`source:record`)"),
    "max_distance_km": Key(pl.Float64(), "largest distance of a stale position from it"),
    "day_start_window_s": Key(pl.Float64(), "the `day_start_window_s` parameter"),
})


@dataclass(frozen=True)
class Params(BaseParams):
    """Stale-record parameters.

    day_start_window_s: positions stamped less than this after 00:00:00 UTC are candidates.
        60 s: in the MarineCadastre day shipped in tests, the positions split off as impossible
        fixes in a day's first minute start at 00:00:00 or 00:00:01, and one at 00:00:43
        (WINEDOWN, 66 km off its track, read as stale on the real review set); a track made
        of such records only is still required. 0 turns the check off.
    max_speed_knots: fastest plausible movement (as in track preparation, AISdb's 50 kn).
    noise_m: distance always allowed (as in track preparation).
    max_reference_h: the main-track position compared with must be within this many hours;
        a ship heard much earlier or later may really have moved anywhere. 6 h, the
        ``ais_gap`` minimum gap: a shorter silence is ordinary reception.
    """

    day_start_window_s: float = 60.0
    max_speed_knots: float = 50.0
    noise_m: float = 1000.0
    max_reference_h: float = 6.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_speed_knots <= 0:
            raise ValueError("stale_record: max_speed_knots must be > 0")


def _day_start(ts: pl.Series, window_s: float) -> pl.Series:
    """Whether each timestamp lies less than ``window_s`` after 00:00:00 UTC."""
    if ts.dtype == pl.Datetime("us", "UTC") and ts.null_count() == 0:
        # the time of day in microseconds: floor modulo, as truncating to the UTC day
        tod_us = ts.dt.epoch("us").to_numpy() % (86_400 * US_PER_S)
        return pl.Series(tod_us < window_s * US_PER_S)
    return (ts - ts.dt.truncate("1d")).dt.total_microseconds() < window_s * US_PER_S


def _stamped_only(pos: pl.DataFrame, cand: pl.Series) -> pl.DataFrame:
    """``mmsi, track_id`` of the tracks of ``pos`` whose every row is a ``cand`` row (the
    tracks holding candidates only; a candidate is rare, so only their tracks are looked at)."""
    tid = pos["track_id"].to_numpy()
    if (pos["track_id"].null_count() == 0 and pos["mmsi"].null_count() == 0
            and bool(np.all(tid[1:] >= tid[:-1]))):
        mmsi = pos["mmsi"].to_numpy()
        if not bool(np.any((mmsi[1:] != mmsi[:-1]) & (tid[1:] == tid[:-1]))):
            # rows sorted by track, one MMSI per track: each track is a run of rows
            at = np.flatnonzero(cand.to_numpy())
            first = np.searchsorted(tid, tid[at], side="left")
            end = np.searchsorted(tid, tid[at], side="right")
            n_cand = np.searchsorted(at, end) - np.searchsorted(at, first)
            only = np.unique(at[n_cand == end - first])
            rows = pos.select("mmsi", "track_id")[only]
            return rows.unique(maintain_order=True)
    keys = pos.select("mmsi", "track_id")
    cand_tracks = keys.filter(cand).group_by("mmsi", "track_id").len("_n_cand")
    return (keys.filter(pl.col("track_id").is_in(cand_tracks["track_id"].implode()))
            .group_by("mmsi", "track_id").len()
            .join(cand_tracks, on=["mmsi", "track_id"])
            .filter(pl.col("len") == pl.col("_n_cand")).select("mmsi", "track_id"))


def _with_reference(pos: pl.DataFrame, window_s: float, max_speed_knots: float, noise_m: float,
                    max_reference_h: float) -> pl.DataFrame:
    """Rows of ``pos`` (prepared tracks) stamped in a day's first ``window_s`` seconds and not
    on their MMSI's main track, each with the main track's position nearest in time
    (``_ref_*``) and ``_stale``; empty when there are none."""
    if window_s <= 0 or pos.height == 0:
        return pl.DataFrame()
    cand = _day_start(pos["timestamp"], window_s)
    if not cand.any():
        return pl.DataFrame()
    stamped_only = _stamped_only(pos, cand)
    if stamped_only.height == 0:
        return pl.DataFrame()
    rows = pos.select(pl.col("mmsi").is_in(stamped_only["mmsi"].unique().implode())
                      ).to_series()
    mine = pos.select(
        "mmsi", "track_id", "timestamp", "lat", "lon", "source", "record",
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"), cand.alias("_cand"),
    ).filter(rows).select("mmsi", "track_id", "timestamp", "lat", "lon",
                          evidence_expr().alias("_ev"), "_row", "_cand")
    # the main track: the most positions not stamped at the day's start (a track made of
    # midnight records only is the suspect, never the reference), then the most positions
    per_track = (mine.group_by("mmsi", "track_id")
                 .agg((~pl.col("_cand")).sum().alias("_fresh"), pl.len()))
    main = (per_track
            .sort(["mmsi", "_fresh", "len", "track_id"], descending=[False, True, True, False])
            .group_by("mmsi", maintain_order=True).first().select("mmsi", "track_id"))
    on_main = mine.join(main, on=["mmsi", "track_id"], how="semi")
    c = (mine.filter(pl.col("_cand")).join(main, on=["mmsi", "track_id"], how="anti")
         .join(stamped_only, on=["mmsi", "track_id"], how="semi"))
    if c.height == 0:
        return pl.DataFrame()
    ref = on_main.select(
        pl.col("mmsi").alias("_ref_mmsi"), pl.col("timestamp").alias("_ref_ts"),
        pl.col("lat").alias("_ref_lat"), pl.col("lon").alias("_ref_lon"),
        pl.col("_ev").alias("_ref_ev")).sort("_ref_ts", "_ref_ev")
    j = c.sort("timestamp", "_ev").join_asof(
        ref, left_on="timestamp", right_on="_ref_ts", by_left="mmsi", by_right="_ref_mmsi",
        strategy="nearest", check_sortedness=False)
    dist = haversine_m_expr(pl.col("lat"), pl.col("lon"), pl.col("_ref_lat"), pl.col("_ref_lon"))
    dt_s = (pl.col("_ref_ts") - pl.col("timestamp")).dt.total_seconds(fractional=True).abs()
    return j.with_columns(dist.alias("_dist")).with_columns(
        (pl.col("_ref_ts").is_not_null()
         & (dt_s <= max_reference_h * 3600)
         & (pl.col("_dist") > noise_m + max_speed_knots * KNOT_M_PER_S * dt_s)
         ).fill_null(False).alias("_stale"))


def _rows_mask(n: int, j: pl.DataFrame) -> npt.NDArray[np.bool_]:
    out = np.zeros(n, dtype=bool)
    if j.height:
        out[j.filter(pl.col("_stale"))["_row"].to_numpy()] = True
    return out


def stale_mask(pos: pl.DataFrame, p: Params | None = None) -> npt.NDArray[np.bool_]:
    """Per row of ``pos`` (prepared tracks: ``mmsi``, ``track_id``, ``timestamp``, ``lat``,
    ``lon``, ``source``, ``record``): a stale record under ``p`` (defaults when None)."""
    q = p or Params()
    return _rows_mask(pos.height, _with_reference(
        pos, q.day_start_window_s, q.max_speed_knots, q.noise_m, q.max_reference_h))


def _tracks_with_reference(data: DetectionInput, p: Params) -> pl.DataFrame:
    """:func:`_with_reference` of ``data.tracks``, built once per input and parameters: the
    ``stale_record`` check, ``spoofing`` and ``zone_entry`` all need it."""
    key = ("stale_record", p.day_start_window_s, p.max_speed_knots, p.noise_m,
           p.max_reference_h)
    return data.derived.get(key, lambda: _with_reference(
        data.tracks, p.day_start_window_s, p.max_speed_knots, p.noise_m, p.max_reference_h))


def tracks_stale_mask(data: DetectionInput, p: Params | None = None) -> npt.NDArray[np.bool_]:
    """:func:`stale_mask` of ``data.tracks`` (computed once per input and parameters)."""
    return _rows_mask(data.tracks.height, _tracks_with_reference(data, p or Params()))


@register(EVENT_TYPE, Params, reads=(), details=(DETAILS,), category="quality")
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """One finding per MMSI and day with stale records: ``lat``/``lon`` the first stale
    position, ``end_lat``/``end_lon`` the main-track position it is compared with."""
    t = data.tracks
    if t.height == 0:
        return pl.DataFrame()
    j = _tracks_with_reference(data, params)
    if j.height == 0:
        return pl.DataFrame()
    stale = j.filter(pl.col("_stale"))
    if stale.height == 0:
        return pl.DataFrame()
    per = stale.sort("mmsi", "timestamp", "_ev").group_by(
        "mmsi", pl.col("timestamp").dt.truncate("1d").alias("_day"), maintain_order=True
    ).agg(
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.col("lat").first(), pl.col("lon").first(),
        pl.col("_ref_lat").first().alias("end_lat"), pl.col("_ref_lon").first().alias("end_lon"),
        pl.col("_ref_ts").first(), pl.col("_ref_ev").first(),
        (pl.col("_dist").max() / 1000).alias("distance_km"),
        pl.len().cast(pl.Int64).alias("n_positions"),
        pl.col("_ev").head(MAX_EVIDENCE).alias("evidence"),
    )
    ev = per.select(
        "mmsi", "start_time", "end_time", "lat", "lon", "end_lat", "end_lon", "distance_km",
        "n_positions", "evidence", pl.lit("day_start_stamp").alias("subtype"),
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
        DETAILS.expr(reference_time=iso_expr("_ref_ts"), reference_record=pl.col("_ref_ev"),
                     max_distance_km=pl.col("distance_km"),
                     day_start_window_s=pl.lit(params.day_start_window_s)).alias("details"),
    )
    return with_event_ids(ev, ["subtype"]).sort(["mmsi", "start_time"])


__all__ = ["EVENT_TYPE", "Params", "detect", "stale_mask", "tracks_stale_mask"]
