"""Position and identity spoofing: impossible jumps, one MMSI in two places, positions on land,
invalid MMSIs and IMO numbers, sentinel positions.

DETECTION.md 1.6: GFW's segmenter (gpsdio-segment / pipe-segment) splits an MMSI's messages
where the implied speed is impossible and drops ``overlapping_and_short`` segments as spoofing
or noise; AISdb's spoofing branch checks implied speed against per-type maxima (default 50 kn).
:func:`sanctionwatch.tracks.prepare_tracks` already does the split (``max_speed_knots`` 50 kn);
this detector turns its result into evidence-carrying events instead of dropping it.

Subtypes (``subtype``):

- ``impossible_speed``: a short track (at most ``max_short_track_positions`` positions) that no
  movement from the MMSI's main track (its longest) explains: every one of its positions is
  beyond ``noise_m + max_speed_knots * dt`` of the main track's positions just before and just
  after it. Also (``details.kind = "track_jump"``) a long track that starts, without
  overlapping any other long track, impossibly far from where the previous one ended.
- ``simultaneous_positions``: two long tracks of one MMSI overlapping in time: one MMSI at two
  places at once. One event per pair, with the closest-in-time impossible pair of positions
  (``lat``/``lon`` on one track, ``end_lat``/``end_lon`` on the other).
- ``position_on_land``: a run of consecutive positions more than ``min_inland_km`` inland and
  more than ``port_radius_km`` from any port.
- ``invalid_mmsi``: an MMSI that is no valid mobile station identity under ITU-R M.585.
  Such MMSIs are typically shared by many unrelated craft, so the track-based subtypes above
  are not computed for them.
- ``invalid_imo``: an IMO number in the static reports that fails its check digit (or is the
  placeholder 1234567, which passes it); one event per MMSI and IMO.
- ``invalid_position``: positions removed by track preparation as ``null_island`` (0, 0) or
  ``position_out_of_range``, one event per MMSI and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.base import Params as BaseParams
from sanctionwatch.detectors.common import (
    MAX_EVIDENCE,
    evidence_expr,
    iso_expr,
    nearest_position,
    tracks_in_record_order,
    with_event_ids,
)
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.geo import KNOT_M_PER_S, haversine_m_expr
from sanctionwatch.ids import PLACEHOLDER_IMOS, allocated_mids, imo_valid_array, mmsi_kind
from sanctionwatch.units import hours_between

EVENT_TYPE = "spoofing"

_TRACK = Key(pl.Int64(), "the track (`prepare_tracks` numbering)")
_OFFSET = Key(pl.Float64(), "hours between the event and the vessel position given in `lat`/`lon`")
SHORT_TRACK = Details(
    {"kind": Key(pl.Utf8(), "`short_track`"), "track_id": _TRACK,
     "main_track_id": Key(pl.Int64(), "the MMSI's main (longest) track")},
    subtypes=("impossible_speed",), case='kind = "short_track"',
)
TRACK_JUMP = Details(
    {"kind": Key(pl.Utf8(), "`track_jump`"), "track_id": _TRACK,
     "from_track_id": Key(pl.Int64(), "the track it jumped from")},
    subtypes=("impossible_speed",), case='kind = "track_jump"',
)
SIMULTANEOUS = Details(
    {
        "track_id": _TRACK,
        "other_track_id": Key(pl.Int64(), "the other track of the MMSI"),
        "time": Key(pl.Utf8(), "time of the position in `lat`/`lon`"),
        "other_time": Key(pl.Utf8(), "time of the position in `end_lat`/`end_lon`"),
        "time_difference_s": Key(pl.Float64(), "seconds between the two"),
        "positions_track": Key(pl.Int64(), "positions of the track in the overlap"),
        "positions_other_track": Key(pl.Int64(), "positions of the other track in it"),
    },
    subtypes=("simultaneous_positions",),
)
ON_LAND = Details(
    {"track_id": _TRACK,
     "deepest_inland_km": Key(pl.Float64(), "largest distance inland of the run's positions"),
     "min_inland_km": Key(pl.Float64(), "the `min_inland_km` parameter")},
    subtypes=("position_on_land",),
)
INVALID_MMSI = Details(
    {"reason": Key(pl.Utf8(), "why the MMSI is invalid (`mmsi_problem`)"),
     "kind": Key(pl.Utf8(), "the MMSI's ITU-R M.585 format (`mmsi_kind`)"),
     "n_tracks": Key(pl.Int64(), "tracks under the MMSI")},
    subtypes=("invalid_mmsi",),
)
INVALID_IMO = Details(
    {"imo": Key(pl.Int64(), "the IMO number as broadcast"),
     "reason": Key(pl.Utf8(), "`check_digit` or `placeholder`"),
     "n_reports": Key(pl.Int64(), "reports with it"),
     "position_offset_h": _OFFSET},
    subtypes=("invalid_imo",),
)
INVALID_POSITION = Details(
    {"reason": Key(pl.Utf8(), "the removal reason (`null_island`, `position_out_of_range`)"),
     "reported_lat": Key(pl.Float64(), "the latitude as reported"),
     "reported_lon": Key(pl.Float64(), "the longitude as reported"),
     "position_offset_h": _OFFSET},
    subtypes=("invalid_position",),
)
REMOVED_REASONS = ("null_island", "position_out_of_range")
"""Removal reasons reported as ``invalid_position`` (``position_not_available`` is the
legitimate AIS 'not available' value and ``duplicate`` is a reception artefact)."""


@dataclass(frozen=True)
class Params(BaseParams):
    """Spoofing parameters (DETECTION.md 1.6).

    max_speed_knots: fastest plausible movement, as in track preparation (50 kn, AISdb's
        default per-type ceiling; merchant ships rarely exceed 25 kn).
    noise_m: distance always allowed whatever the time (GNSS noise, receiver time stamps), as
        in track preparation.
    max_short_track_positions: a split-off track with at most this many positions is a
        candidate spoofed/corrupt fix rather than a second ship (GFW's
        ``overlapping_and_short``); 3 keeps a burst of one bad fix repeated by several
        receivers or messages together.
    min_inland_km: a position must lie more than this far inland to count as on land. 5 km
        absorbs the coarse shipped coastline (GLOBE 1 km grid, on which e.g. Nampo's World Port
        Index point is land, DETECTION.md 2) and harbour basins cut into the coast.
    port_radius_km: positions within this distance of a port or anchorage are never reported as
        on land (ports sit on the coast line and river ports inland); 10 km is GFW's
        port exclusion radius for encounters (DETECTION.md 1.1).
    removed_positions: report ``invalid_position`` events from ``DetectionInput.removed``.
    max_on_land_run_positions: an on-land run is reported only when it is a short excursion
        (at most this many consecutive inland positions of a track) of an MMSI also seen at sea.
        A track that stays "inland" is a vessel on a river, canal or lake, which the 1 km land
        mask counts as land (the Mississippi, the Great Lakes), not a spoofed position; 3, as
        ``max_short_track_positions``: a bad fix repeated by a few receivers. 0 reports every
        inland run of a track seen at sea (for waters without inland shipping).
    """

    max_speed_knots: float = 50.0
    noise_m: float = 1000.0
    max_short_track_positions: int = 3
    min_inland_km: float = 5.0
    port_radius_km: float = 10.0
    removed_positions: bool = True
    max_on_land_run_positions: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_speed_knots <= 0:
            raise ValueError("spoofing: max_speed_knots must be > 0")


# --------------------------------------------------------------------------- helpers


def _impossible(dist_m: pl.Expr, dt_s: pl.Expr, p: Params) -> pl.Expr:
    return dist_m > p.noise_m + p.max_speed_knots * KNOT_M_PER_S * dt_s.abs()


def _speed_knots(dist_m: pl.Expr, dt_s: pl.Expr) -> pl.Expr:
    return pl.when(dt_s.abs() > 0).then(dist_m / dt_s.abs() / KNOT_M_PER_S).otherwise(None)


def _seconds(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return (b - a).dt.total_seconds(fractional=True)


def _dist_m(la1: str, lo1: str, la2: str, lo2: str) -> pl.Expr:
    return haversine_m_expr(pl.col(la1), pl.col(lo1), pl.col(la2), pl.col(lo2))


def mmsi_problem(mmsi: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Why each MMSI is not a valid mobile station identity ("" when it is), ITU-R M.585.

    Accepted: ship stations ``MIDxxxxxx`` (first digit 2-7), SAR aircraft ``111MIDxxx``,
    craft associated with a parent ship ``98MIDxxxx`` and aids to navigation ``99MIDxxxx``,
    all with an allocated MID, and SART / MOB / EPIRB ``970``/``972``/``974``. Coast station
    ``00MID`` and group ``0MID`` identities (fewer than 9 significant digits) cannot be a
    vessel's position source and are reported as ``fewer_than_9_digits``.
    """
    m = np.asarray(mmsi, dtype=np.int64)
    mids = np.fromiter(allocated_mids(), dtype=np.int64)
    ship = (m >= 200_000_000) & (m <= 799_999_999)
    sar = (m >= 111_000_000) & (m <= 111_999_999)
    craft_aton = (m >= 980_000_000) & (m <= 999_999_999)
    sart = np.isin(m // 1_000_000, [970, 972, 974])
    mid = np.where(ship, m // 1_000_000, np.where(sar, (m // 1_000) % 1_000, (m // 10_000) % 1_000))
    has_mid = ship | sar | craft_aton
    bad_mid = has_mid & ~np.isin(mid, mids)
    return np.select(
        [m <= 0, m > 999_999_999, m < 100_000_000, bad_mid, ~(has_mid | sart)],
        ["zero", "more_than_9_digits", "fewer_than_9_digits", "unallocated_mid",
         "not_a_station_format"],
        default="",
    ).astype(np.str_)


def _track_summary(t: pl.DataFrame) -> pl.DataFrame:
    """One row per track of ``t`` (sorted by track): its first and last position."""
    tid = t["track_id"].to_numpy()
    first = np.flatnonzero(np.r_[True, tid[1:] != tid[:-1]])
    last = np.r_[first[1:] - 1, tid.size - 1]
    cols = t.select("timestamp", "lat", "lon", "source", "record")

    def end(rows: npt.NDArray[np.int64], side: str) -> pl.DataFrame:
        return cols[rows].select(
            pl.col("timestamp").alias(f"{side}_ts"),
            pl.col("lat").alias(f"{side}_lat"),
            pl.col("lon").alias(f"{side}_lon"),
            evidence_expr().alias(f"{side}_ev"),
        )

    head = t.select("track_id", "mmsi")[first].with_columns(
        pl.Series("n", last - first + 1, dtype=pl.UInt32)
    )
    return pl.concat([head, end(first, "first"), end(last, "last")], how="horizontal").select(
        "track_id", "mmsi", "n", "first_ts", "last_ts", "first_lat", "first_lon", "last_lat",
        "last_lon", "first_ev", "last_ev",
    )


# --------------------------------------------------------------------------- subtypes


def _short_tracks(t: pl.DataFrame, multi: pl.DataFrame, main: pl.DataFrame, p: Params
                  ) -> pl.DataFrame:
    short = multi.join(main, on="mmsi").filter(
        (pl.col("track_id") != pl.col("main_track_id"))
        & (pl.col("n") <= p.max_short_track_positions)
    )
    if short.height == 0:
        return pl.DataFrame()
    sp = t.join(short.select("track_id", "main_track_id"), on="track_id").with_columns(
        evidence_expr().alias("ev")
    ).sort("timestamp")
    mp = t.join(main.select(pl.col("main_track_id").alias("track_id")), on="track_id").select(
        pl.col("mmsi").alias("_m"),
        pl.col("timestamp").alias("_ts"),
        pl.col("lat").alias("_lat"),
        pl.col("lon").alias("_lon"),
        evidence_expr().alias("_ev"),
    ).sort("_ts")
    sides: tuple[tuple[str, Literal["backward", "forward"]], ...] = (
        ("p", "backward"), ("n", "forward"),
    )
    for side, strategy in sides:
        sp = sp.join_asof(
            mp.rename({c: f"{side}{c}" for c in mp.columns}), left_on="timestamp",
            right_on=f"{side}_ts", by_left="mmsi", by_right=f"{side}_m", strategy=strategy,
            check_sortedness=False,
        )
        sp = sp.drop([c for c in (f"{side}_m",) if c in sp.columns])
        dist = _dist_m("lat", "lon", f"{side}_lat", f"{side}_lon")
        dt = _seconds(pl.col(f"{side}_ts"), pl.col("timestamp"))
        sp = sp.with_columns(
            dist.alias(f"{side}_dist"),
            _speed_knots(dist, dt).alias(f"{side}_speed"),
            _impossible(dist, dt, p).alias(f"{side}_imp"),
        )
    ok_prev = pl.col("p_imp").fill_null(True)
    ok_next = pl.col("n_imp").fill_null(True)
    sp = sp.with_columns(
        (ok_prev & ok_next & (pl.col("p_ts").is_not_null() | pl.col("n_ts").is_not_null()))
        .alias("imp")
    ).sort(["track_id", "timestamp"])
    per = sp.group_by("track_id", maintain_order=True).agg(
        pl.col("mmsi").first(),
        pl.col("main_track_id").first(),
        pl.col("imp").all(),
        pl.len().alias("n_positions"),
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.col("lat").first(),
        pl.col("lon").first(),
        pl.col("lat").last().alias("end_lat"),
        pl.col("lon").last().alias("end_lon"),
        (pl.min_horizontal("p_dist", "n_dist").min() / 1000).alias("distance_km"),
        pl.min_horizontal("p_speed", "n_speed").min().alias("implied_speed_knots"),
        pl.col("p_ev").first(),
        pl.col("ev").head(MAX_EVIDENCE),
        pl.col("n_ev").last(),
    ).filter(pl.col("imp"))
    return per.select(
        "mmsi", "start_time", "end_time", "lat", "lon", "end_lat", "end_lon", "distance_km",
        "implied_speed_knots", "n_positions",
        pl.lit("impossible_speed").alias("subtype"),
        pl.lit("short_track").alias("_key"),
        pl.concat_list([pl.col("p_ev"), pl.col("ev"), pl.col("n_ev")]).list.drop_nulls()
        .alias("evidence"),
        SHORT_TRACK.expr(
            kind=pl.lit("short_track"),
            track_id=pl.col("track_id"),
            main_track_id=pl.col("main_track_id"),
        ).alias("details"),
    )


def _long_pairs(long: pl.DataFrame) -> pl.DataFrame:
    return long.join(long, on="mmsi", suffix="_o").filter(
        (pl.col("track_id") != pl.col("track_id_o"))
        & (pl.col("first_ts") <= pl.col("last_ts_o"))
        & (pl.col("first_ts_o") <= pl.col("last_ts"))
    )


def _track_jumps(long: pl.DataFrame, p: Params) -> pl.DataFrame:
    overlapping = _long_pairs(long)["track_id"].unique().to_list()
    cand = long.filter(~pl.col("track_id").is_in(overlapping)).sort("first_ts")
    ends = long.select(
        pl.col("mmsi").alias("_m"),
        pl.col("track_id").alias("from_track_id"),
        pl.col("last_ts").alias("from_ts"),
        pl.col("last_lat").alias("lat"),
        pl.col("last_lon").alias("lon"),
        pl.col("last_ev").alias("from_ev"),
    ).sort("from_ts")
    j = cand.join_asof(
        ends, left_on="first_ts", right_on="from_ts", by_left="mmsi", by_right="_m",
        strategy="backward", allow_exact_matches=False, check_sortedness=False,
    ).filter(pl.col("from_ts").is_not_null())
    dist = _dist_m("lat", "lon", "first_lat", "first_lon")
    dt = _seconds(pl.col("from_ts"), pl.col("first_ts"))
    j = j.filter(_impossible(dist, dt, p))
    return j.select(
        "mmsi",
        pl.col("from_ts").alias("start_time"),
        pl.col("first_ts").alias("end_time"),
        "lat", "lon",
        pl.col("first_lat").alias("end_lat"),
        pl.col("first_lon").alias("end_lon"),
        (dist / 1000).alias("distance_km"),
        _speed_knots(dist, dt).alias("implied_speed_knots"),
        pl.lit(2, dtype=pl.Int64).alias("n_positions"),
        pl.lit("impossible_speed").alias("subtype"),
        pl.lit("track_jump").alias("_key"),
        pl.concat_list([pl.col("from_ev"), pl.col("first_ev")]).alias("evidence"),
        TRACK_JUMP.expr(
            kind=pl.lit("track_jump"),
            track_id=pl.col("track_id"),
            from_track_id=pl.col("from_track_id"),
        ).alias("details"),
    )


def _simultaneous(t: pl.DataFrame, long: pl.DataFrame, p: Params) -> pl.DataFrame:
    pairs = _long_pairs(long).filter(pl.col("track_id") < pl.col("track_id_o")).select(
        "mmsi", "track_id", "track_id_o",
        pl.max_horizontal("first_ts", "first_ts_o").alias("ov_start"),
        pl.min_horizontal("last_ts", "last_ts_o").alias("ov_end"),
    )
    if pairs.height == 0:
        return pl.DataFrame()
    pos = t.select("track_id", "timestamp", "lat", "lon", evidence_expr().alias("ev"))
    in_ov = pl.col("timestamp").is_between(pl.col("ov_start"), pl.col("ov_end"))
    a = pos.join(pairs, on="track_id").filter(in_ov)
    b = pos.join(
        pairs.drop("mmsi").rename({"track_id": "track_id_a", "track_id_o": "track_id"}),
        on="track_id",
    ).filter(in_ov)
    counts_b = b.group_by(["track_id_a", "track_id"]).agg(pl.len().alias("n_b")).rename(
        {"track_id_a": "track_id", "track_id": "track_id_o"}
    )
    bpos = pos.rename({c: f"b_{c}" for c in pos.columns}).sort("b_timestamp")
    m = a.sort("timestamp").join_asof(
        bpos, left_on="timestamp", right_on="b_timestamp", by_left="track_id_o",
        by_right="b_track_id", strategy="nearest", check_sortedness=False,
    )
    dist = _dist_m("lat", "lon", "b_lat", "b_lon")
    dt = _seconds(pl.col("timestamp"), pl.col("b_timestamp"))
    m = m.with_columns(
        dist.alias("dist_m"), dt.abs().alias("dt_s"), _impossible(dist, dt, p).alias("imp")
    )
    n_a = m.group_by(["track_id", "track_id_o"]).agg(pl.len().alias("n_a"))
    best = (
        m.filter(pl.col("imp"))
        .sort(["track_id", "track_id_o", "dt_s", "timestamp"])
        .group_by(["track_id", "track_id_o"], maintain_order=True)
        .first()
        .join(n_a, on=["track_id", "track_id_o"])
        .join(counts_b, on=["track_id", "track_id_o"], how="left")
    )
    return best.select(
        "mmsi",
        pl.col("ov_start").alias("start_time"),
        pl.col("ov_end").alias("end_time"),
        "lat", "lon",
        pl.col("b_lat").alias("end_lat"),
        pl.col("b_lon").alias("end_lon"),
        (pl.col("dist_m") / 1000).alias("distance_km"),
        _speed_knots(pl.col("dist_m"), pl.col("dt_s")).alias("implied_speed_knots"),
        (pl.col("n_a") + pl.col("n_b").fill_null(0)).cast(pl.Int64).alias("n_positions"),
        pl.lit("simultaneous_positions").alias("subtype"),
        pl.lit("").alias("_key"),
        pl.concat_list([pl.col("ev"), pl.col("b_ev")]).alias("evidence"),
        SIMULTANEOUS.expr(
            track_id=pl.col("track_id"),
            other_track_id=pl.col("track_id_o"),
            time=iso_expr("timestamp"),
            other_time=iso_expr("b_timestamp"),
            time_difference_s=pl.col("dt_s"),
            positions_track=pl.col("n_a"),
            positions_other_track=pl.col("n_b"),
        ).alias("details"),
    )


def _on_land(data: DetectionInput, t: pl.DataFrame, p: Params) -> pl.DataFrame:
    ref = data.reference
    lat = t["lat"].to_numpy()
    lon = t["lon"].to_numpy()
    shore = np.asarray(ref.distance_from_shore_km(lat, lon), dtype=np.float64)
    inland = shore < -p.min_inland_km
    if not inland.any():
        return pl.DataFrame()
    idx = np.flatnonzero(inland)
    # the port index is queried only for the (few) inland candidates
    near_port = ref.nearest_port(lat[idx], lon[idx], within_km=p.port_radius_km)[0] <= (
        p.port_radius_km
    )
    inland[idx[near_port]] = False
    if not inland.any():
        return pl.DataFrame()
    # only the MMSIs with an inland position matter: all their rows (whole tracks) are kept
    mmsi = t["mmsi"].to_numpy()
    rows = np.isin(mmsi, np.unique(mmsi[inland]))
    flagged = t.filter(rows).with_columns(
        pl.Series("_inland", inland[rows]), pl.Series("_shore", shore[rows])
    ).with_columns(
        (pl.col("_inland") != pl.col("_inland").shift(1)).fill_null(True).cum_sum()
        .over("track_id").alias("_run"),
        # per MMSI: a bad fix is often split off as a track of its own by prepare_tracks
        (pl.col("_shore") > 0).any().over("mmsi").alias("_seen_at_sea"),
    ).filter(pl.col("_inland") & pl.col("_seen_at_sea"))
    if p.max_on_land_run_positions > 0:
        flagged = flagged.filter(
            pl.len().over(["track_id", "_run"]) <= p.max_on_land_run_positions
        )
    if flagged.height == 0:
        return pl.DataFrame()
    runs = flagged.group_by(["track_id", "_run"], maintain_order=True).agg(
        pl.col("mmsi").first(),
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.col("lat").first(),
        pl.col("lon").first(),
        pl.col("lat").last().alias("end_lat"),
        pl.col("lon").last().alias("end_lon"),
        pl.col("_shore").min().alias("distance_from_shore_km"),
        pl.len().alias("n_positions"),
        evidence_expr().head(MAX_EVIDENCE).alias("evidence"),
    )
    return runs.select(
        "mmsi", "start_time", "end_time", "lat", "lon", "end_lat", "end_lon",
        "distance_from_shore_km", pl.col("n_positions").cast(pl.Int64), "evidence",
        pl.lit("position_on_land").alias("subtype"),
        pl.lit("").alias("_key"),
        ON_LAND.expr(
            track_id=pl.col("track_id"),
            deepest_inland_km=-pl.col("distance_from_shore_km"),
            min_inland_km=pl.lit(p.min_inland_km),
        ).alias("details"),
    )


def _invalid_mmsi(t: pl.DataFrame, bad: pl.Series) -> pl.DataFrame:
    """``invalid_mmsi`` events of the MMSIs ``bad`` (those :func:`mmsi_problem` rejects)."""
    if bad.len() == 0:
        return pl.DataFrame()
    t = t.filter(pl.col("mmsi").is_in(bad.implode()))
    per = t.sort(["mmsi", "timestamp", "source", "record"]).group_by(
        "mmsi", maintain_order=True
    ).agg(
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.col("lat").first(),
        pl.col("lon").first(),
        pl.col("lat").last().alias("end_lat"),
        pl.col("lon").last().alias("end_lon"),
        pl.len().alias("n_positions"),
        pl.col("track_id").n_unique().alias("n_tracks"),
        evidence_expr().first().alias("first_ev"),
        evidence_expr().last().alias("last_ev"),
    )
    problem = mmsi_problem(per["mmsi"].to_numpy())
    per = per.with_columns(pl.Series("reason", problem)).filter(pl.col("reason") != "")
    if per.height == 0:
        return pl.DataFrame()
    # mmsi_kind is scalar; called once per invalid MMSI, a handful per data set
    kinds = [mmsi_kind(int(x)) for x in per["mmsi"]]
    return per.with_columns(pl.Series("kind", kinds, dtype=pl.Utf8)).select(
        "mmsi", "start_time", "end_time", "lat", "lon", "end_lat", "end_lon",
        pl.col("n_positions").cast(pl.Int64),
        pl.lit("invalid_mmsi").alias("subtype"),
        pl.lit("").alias("_key"),
        pl.concat_list([pl.col("first_ev"), pl.col("last_ev")]).list.unique(maintain_order=True)
        .alias("evidence"),
        INVALID_MMSI.expr(
            reason=pl.col("reason"), kind=pl.col("kind"), n_tracks=pl.col("n_tracks")
        ).alias("details"),
    )


def _candidate_positions(t: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``t`` (in record order) that :func:`nearest_position` can pick for the
    ``mmsi``/``start_time`` of ``events``: same answer, much less to sort.

    For an MMSI with one track those are the track's positions just before and just after
    the time; an MMSI with several tracks keeps all its positions. When one MMSI has two
    positions at one time the pick among them depends on the sort, so all of ``t`` is kept.
    """
    if t.height == 0 or events.schema["start_time"] != t.schema["timestamp"]:
        return t
    tid = t["track_id"].to_numpy()
    mmsi = t["mmsi"].to_numpy()
    ts = t["timestamp"].dt.epoch("us").to_numpy()
    same = tid[1:] == tid[:-1]
    if not (ts[1:][same] > ts[:-1][same]).all():
        return t
    start = np.flatnonzero(np.r_[True, ~same])
    end = np.r_[start[1:], tid.size]
    by_mmsi = np.argsort(mmsi[start], kind="stable")
    track_mmsi = mmsi[start][by_mmsi]
    q_mmsi = events["mmsi"].to_numpy()
    first = np.searchsorted(track_mmsi, q_mmsi, side="left")
    n_tracks = np.searchsorted(track_mmsi, q_mmsi, side="right") - first
    rows = np.flatnonzero(np.isin(mmsi, q_mmsi[n_tracks > 1]))
    in_time = rows[np.lexsort((ts[rows], mmsi[rows]))]
    if ((np.diff(mmsi[in_time]) == 0) & (np.diff(ts[in_time]) == 0)).any():
        return t
    single = n_tracks == 1
    track = by_mmsi[first[single]]
    s, e = start[track], end[track]
    at = events["start_time"].dt.epoch("us").to_numpy()[single]
    lo, hi = s.copy(), e.copy()
    while (open_ := lo < hi).any():  # first position at or after the time
        mid = (lo + hi) // 2
        later = ts[mid] >= at
        hi = np.where(open_ & later, mid, hi)
        lo = np.where(open_ & ~later, mid + 1, lo)
    return t[np.unique(np.concatenate([rows, lo[lo < e], lo[lo > s] - 1]))]


def _invalid_imo(reports: pl.DataFrame, t: pl.DataFrame) -> pl.DataFrame:
    rep = reports.filter(pl.col("imo").is_not_null() & (pl.col("imo") != 0))
    if rep.height == 0:
        return pl.DataFrame()
    placeholder = pl.col("imo").is_in(list(PLACEHOLDER_IMOS))
    bad = rep.with_columns(
        pl.Series("_valid", imo_valid_array(rep["imo"].cast(pl.Float64).to_numpy())),
        pl.when(placeholder).then(pl.lit("placeholder")).otherwise(pl.lit("check_digit"))
        .alias("_reason"),
    ).filter(~pl.col("_valid") | placeholder)
    if bad.height == 0:
        return pl.DataFrame()
    per = bad.sort(["mmsi", "timestamp", "source", "record"]).group_by(
        ["mmsi", "imo"], maintain_order=True
    ).agg(
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.len().alias("n_reports"),
        pl.col("_reason").first(),
        evidence_expr().head(MAX_EVIDENCE).alias("evidence"),
    )
    per = nearest_position(
        per, _candidate_positions(t, per), time_col="start_time", offset_col="_off"
    )
    return per.select(
        "mmsi", "start_time", "end_time", "lat", "lon", "evidence",
        pl.lit("invalid_imo").alias("subtype"),
        pl.col("imo").cast(pl.Utf8).alias("new_value"),
        pl.col("imo").cast(pl.Utf8).alias("_key"),
        INVALID_IMO.expr(
            imo=pl.col("imo"),
            reason=pl.col("_reason"),
            n_reports=pl.col("n_reports"),
            position_offset_h=pl.col("_off"),
        ).alias("details"),
    )


def _invalid_position(removed: pl.DataFrame, t: pl.DataFrame) -> pl.DataFrame:
    bad = removed.filter(pl.col("reason").is_in(list(REMOVED_REASONS)))
    if bad.height == 0:
        return pl.DataFrame()
    per = bad.sort(["mmsi", "timestamp", "source", "record"]).group_by(
        ["mmsi", "reason"], maintain_order=True
    ).agg(
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.len().alias("n_positions"),
        pl.col("lat").first().alias("reported_lat"),
        pl.col("lon").first().alias("reported_lon"),
        evidence_expr().head(MAX_EVIDENCE).alias("evidence"),
    )
    per = nearest_position(
        per, _candidate_positions(t, per), time_col="start_time", offset_col="_off"
    )
    return per.select(
        "mmsi", "start_time", "end_time", "lat", "lon",
        pl.col("n_positions").cast(pl.Int64), "evidence",
        pl.lit("invalid_position").alias("subtype"),
        pl.col("reason").alias("_key"),
        INVALID_POSITION.expr(
            reason=pl.col("reason"),
            reported_lat=pl.col("reported_lat"),
            reported_lon=pl.col("reported_lon"),
            position_offset_h=pl.col("_off"),
        ).alias("details"),
    )


@register(EVENT_TYPE, Params, reads=(), details=(
    SHORT_TRACK, TRACK_JUMP, SIMULTANEOUS, ON_LAND, INVALID_MMSI, INVALID_IMO, INVALID_POSITION))
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """Spoofing events (DETECTION.md 1.6); see the module docstring for the subtypes.

    ``lat``/``lon`` of report-based subtypes (``invalid_imo``, ``invalid_position``) are the
    MMSI's position nearest in time (NaN when it has none). Every event lists its source
    records in ``evidence`` (at most ``MAX_EVIDENCE``; ``n_positions`` has the count).
    """
    t = tracks_in_record_order(data.tracks)
    parts: list[pl.DataFrame] = []
    if t.height:
        summ = _track_summary(t)
        # MMSIs that are no valid identity (0, 123456789, ...) are typically shared by many
        # unrelated craft: they are reported once as invalid_mmsi, not as O(n^2) track pairs
        valid = pl.Series(mmsi_problem(summ["mmsi"].to_numpy()) == "")
        bad_mmsis = summ.filter(~valid)["mmsi"].unique()
        multi = summ.filter(valid).filter(pl.len().over("mmsi") > 1)
        if multi.height:
            main = (
                multi.sort(["mmsi", "n", "track_id"], descending=[False, True, False])
                .group_by("mmsi", maintain_order=True)
                .first()
                .select("mmsi", pl.col("track_id").alias("main_track_id"))
            )
            long = multi.filter(pl.col("n") > params.max_short_track_positions)
            parts += [
                _short_tracks(t, multi, main, params),
                _track_jumps(long, params),
                _simultaneous(t, long, params),
            ]
        parts += [_on_land(data, t, params), _invalid_mmsi(t, bad_mmsis)]
    parts.append(_invalid_imo(data.reports, t))
    if params.removed_positions and data.removed is not None and data.removed.height:
        parts.append(_invalid_position(data.removed, t))
    parts = [x for x in parts if x.height]
    if not parts:
        return pl.DataFrame()
    ev = pl.concat(parts, how="diagonal_relaxed").with_columns(
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
    )
    ev = with_event_ids(ev, ["subtype", "_key", "lat", "lon"]).drop("_key")
    return ev.sort(["mmsi", "start_time", "subtype", "event_id"])


__all__ = ["EVENT_TYPE", "REMOVED_REASONS", "Params", "detect", "mmsi_problem"]
