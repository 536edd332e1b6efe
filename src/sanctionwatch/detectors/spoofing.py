"""Position spoofing: impossible jumps, one MMSI in two places, positions on land, sustained
false positions.

DETECTION.md 1.6: GFW's segmenter (gpsdio-segment / pipe-segment) splits an MMSI's messages
where the implied speed is impossible and drops ``overlapping_and_short`` segments as spoofing
or noise; AISdb's spoofing branch checks implied speed against per-type maxima (default 50 kn).
:func:`sanctionwatch.tracks.prepare_tracks` already does the split (``max_speed_knots`` 50 kn);
this detector turns its result into evidence-carrying events instead of dropping it.

Subtypes (``subtype``):

- ``impossible_speed``: a short track (at most ``max_short_track_positions`` positions; a
  single fix no ship could plausibly report, on land, at the coast or an ocean away, is the
  ``stray_position`` data-quality finding) that no
  movement from the MMSI's main track (its longest) explains: every one of its positions is
  beyond ``noise_m + max_speed_knots * dt`` of the main track's positions just before and just
  after it. Also (``details.kind = "track_jump"``) a long track that starts, without
  overlapping any other long track, impossibly far from where the previous one ended.
- ``simultaneous_positions``: two long tracks of one MMSI overlapping in time: one MMSI at two
  places at once. One event per pair, with the closest-in-time impossible pair of positions
  (``lat``/``lon`` on one track, ``end_lat``/``end_lon`` on the other).
- ``position_on_land``: a run of consecutive positions more than ``min_inland_km`` inland and
  more than ``port_radius_km`` from any port.
- ``sustained_teleport``: a long track of an MMSI that lies wholly inside a silence of
  another, longer track of the same MMSI (A ... B ... A): for at least ``min_teleport_h`` the
  MMSI reports from a place at least ``min_teleport_km`` from where it was just before, and
  then comes back. Never simultaneous with A, so it is one transmitter reporting a false
  position for a while, not two ships sharing the MMSI (those report interleaved, which
  ``simultaneous_positions`` reports).

Identifier formats, invalid positions and impossible values are data quality, not behaviour:
the ``invalid_mmsi``, ``invalid_imo`` and ``impossible_value`` checks report them. Positions the
``stale_record`` check flags (a daily file's stale positions stamped at 00:00:00) are left out
before any subtype is computed (``stale_day_start_window_s``), so a stale record is never an
``impossible_speed``.
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
    tracks_in_record_order,
    with_event_ids,
)
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.detectors.stale_record import Params as StaleParams
from sanctionwatch.detectors.stale_record import stale_mask, tracks_stale_mask
from sanctionwatch.geo import KNOT_M_PER_S, haversine_m_expr
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
TELEPORT = Details(
    {"track_id": _TRACK,
     "true_track_id": Key(pl.Int64(), "the longer track it interrupts"),
     "left_true_track_at": Key(pl.Utf8(), "time of the true track's last position before "
                               "(in `end_lat`/`end_lon`)"),
     "back_on_true_track_at": Key(pl.Utf8(), "time of its first position after"),
     "hours_away": Key(pl.Float64(), "hours the false track lasts")},
    subtypes=("sustained_teleport",),
)


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
    min_teleport_h: a ``sustained_teleport`` lasts at least this long. 1 h: a bad fix repeated
        for minutes is ``impossible_speed``'s; a false position kept up for an hour is a
        decision.
    min_teleport_km: and lies at least this far from where the MMSI was just before. 100 km:
        beyond the few km of GNSS or receiver errors and of two ships of one fleet confused,
        within the hundreds of km of the false positions reported around DPRK (UN Panel of
        Experts S/2019/171: tankers reporting positions off China while loading at Nampo).
    stale_day_start_window_s: positions stamped within this many seconds of 00:00:00 UTC and
        impossibly far from the MMSI's next position are stale records (the ``stale_record``
        check, same default) and are left out here. 0 keeps them.
    stray_coast_km: a split-off track of one fix is a stray position (the ``stray_position``
        data-quality finding, not ``impossible_speed``) when the fix lies on land or within this
        distance of the coast. 5 km, as ``min_inland_km``: there the shipped 1 km coastline
        cannot tell a berth from land, and single fixes there were all read as corrupt on the
        real review set (docs/real-review.md, rule F3: a Solent ship's fix in Kazakhstan,
        MarineCadastre fixes inland in Pennsylvania and at the Gulf coast).
    stray_max_jump_km: or when it lies more than this far from the MMSI's track. 2,000 km: a
        false position is chosen to look plausible (the Panel's cases put tankers tens to
        hundreds of km from where they were, S/2019/171); a fix an ocean away is a corrupt
        message (a MarineCadastre fix 4,447 km off, at 7.6 N in the Pacific).
    max_on_land_run_positions: an on-land run is reported only when it is a short excursion
        (at most this many consecutive inland positions of the MMSI, with positions off land
        before and after them) of an MMSI also seen at sea.
        A track that stays "inland" is a vessel on a river, canal or lake, which the 1 km land
        mask counts as land (the Mississippi, the Great Lakes), not a spoofed position; 3, as
        ``max_short_track_positions``: a bad fix repeated by a few receivers. 0 reports every
        inland run of an MMSI seen at sea (for waters without inland shipping). A run that
        begins or ends the MMSI's positions is no excursion (a ship going up a river as the
        data ends, the Mississippi below New Orleans in the MarineCadastre sample) and is not
        reported.
    """

    max_speed_knots: float = 50.0
    noise_m: float = 1000.0
    max_short_track_positions: int = 3
    stray_coast_km: float = 5.0
    stray_max_jump_km: float = 2000.0
    min_inland_km: float = 5.0
    port_radius_km: float = 10.0
    max_on_land_run_positions: int = 3
    min_teleport_h: float = 1.0
    min_teleport_km: float = 100.0
    stale_day_start_window_s: float = 60.0

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
    # runs of the MMSI's positions in time, whatever track prepare_tracks put them on (a fix
    # far inland is usually split off as a track of its own)
    flagged = t.filter(rows).with_columns(
        pl.Series("_inland", inland[rows]), pl.Series("_shore", shore[rows])
    ).sort(["mmsi", "timestamp", "source", "record"]).with_columns(
        (pl.col("_inland") != pl.col("_inland").shift(1)).fill_null(True).cum_sum()
        .over("mmsi").alias("_run"),
        # per MMSI: a bad fix is often split off as a track of its own by prepare_tracks
        (pl.col("_shore") > 0).any().over("mmsi").alias("_seen_at_sea"),
    ).with_columns(
        # runs alternate inland / not inland: one strictly between the MMSI's first and last
        # runs has positions off land before and after it (an excursion)
        ((pl.col("_run") > pl.col("_run").min().over("mmsi"))
         & (pl.col("_run") < pl.col("_run").max().over("mmsi"))).alias("_between"),
    ).filter(pl.col("_inland") & pl.col("_seen_at_sea"))
    if p.max_on_land_run_positions > 0:
        flagged = flagged.filter(
            (pl.len().over(["mmsi", "_run"]) <= p.max_on_land_run_positions)
            & pl.col("_between")
        )
    if flagged.height == 0:
        return pl.DataFrame()
    runs = flagged.group_by(["mmsi", "_run"], maintain_order=True).agg(
        pl.col("track_id").first(),
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


def _sustained_teleports(t: pl.DataFrame, long: pl.DataFrame, p: Params) -> pl.DataFrame:
    """Long tracks B inside a silence of a longer track A of the same MMSI (A ... B ... A)."""
    pairs = long.join(long, on="mmsi", suffix="_o").filter(
        (pl.col("track_id") != pl.col("track_id_o"))
        & (pl.col("first_ts_o") < pl.col("first_ts")) & (pl.col("last_ts") < pl.col("last_ts_o"))
        & ((pl.col("last_ts") - pl.col("first_ts"))
           >= pl.duration(microseconds=round(p.min_teleport_h * 3.6e9)))
    )
    if pairs.height == 0:
        return pl.DataFrame()
    a = t.join(pairs.select(pl.col("track_id_o").alias("track_id")).unique(), on="track_id")
    a = a.select(pl.col("track_id").alias("_a"), pl.col("timestamp").alias("_a_ts"),
                 pl.col("lat").alias("_a_lat"), pl.col("lon").alias("_a_lon"),
                 evidence_expr().alias("_a_ev")).sort("_a_ts")
    q = pairs.sort("first_ts").join_asof(
        a.rename({c: f"p{c}" for c in a.columns}), left_on="first_ts", right_on="p_a_ts",
        by_left="track_id_o", by_right="p_a", strategy="backward", check_sortedness=False,
    ).sort("first_ts").join_asof(
        a.rename({c: f"n{c}" for c in a.columns}), left_on="first_ts", right_on="n_a_ts",
        by_left="track_id_o", by_right="n_a", strategy="forward", check_sortedness=False,
    )
    dist = _dist_m("p_a_lat", "p_a_lon", "first_lat", "first_lon")
    q = q.with_columns(dist.alias("_d")).filter(
        # A is silent all through B: its next position comes after B's last
        (pl.col("n_a_ts") > pl.col("last_ts")) & (pl.col("_d") >= p.min_teleport_km * 1000)
        & _impossible(pl.col("_d"), _seconds(pl.col("p_a_ts"), pl.col("first_ts")), p)
    )
    if q.height == 0:
        return pl.DataFrame()
    # one event per teleported track, against the longest track around it
    q = q.sort(["track_id", "n_o", "track_id_o"], descending=[False, True, False]).group_by(
        "track_id", maintain_order=True).first()
    ev = t.join(q.select("track_id"), on="track_id").group_by("track_id", maintain_order=True
                                                              ).agg(
        evidence_expr().head(MAX_EVIDENCE).alias("_b_ev"))
    q = q.join(ev, on="track_id")
    return q.select(
        "mmsi",
        pl.col("first_ts").alias("start_time"),
        pl.col("last_ts").alias("end_time"),
        pl.col("first_lat").alias("lat"), pl.col("first_lon").alias("lon"),
        pl.col("p_a_lat").alias("end_lat"), pl.col("p_a_lon").alias("end_lon"),
        (pl.col("_d") / 1000).alias("distance_km"),
        _speed_knots(pl.col("_d"), _seconds(pl.col("p_a_ts"), pl.col("first_ts")))
        .alias("implied_speed_knots"),
        pl.col("n").cast(pl.Int64).alias("n_positions"),
        pl.lit("sustained_teleport").alias("subtype"),
        pl.lit("").alias("_key"),
        pl.concat_list([pl.col("p_a_ev"), pl.col("_b_ev"), pl.col("n_a_ev")]).alias("evidence"),
        TELEPORT.expr(
            track_id=pl.col("track_id"), true_track_id=pl.col("track_id_o"),
            left_true_track_at=iso_expr("p_a_ts"), back_on_true_track_at=iso_expr("n_a_ts"),
            hours_away=(pl.col("last_ts") - pl.col("first_ts")).dt.total_seconds() / 3600,
        ).alias("details"),
    )


def _usable(data: DetectionInput, params: Params) -> pl.DataFrame:
    """The tracks in record order, without the records the ``stale_record`` check flags;
    built once per input for ``spoofing`` and ``stray_position`` alike."""

    def build() -> pl.DataFrame:
        t = tracks_in_record_order(data.tracks)
        if t.height and params.stale_day_start_window_s > 0:
            sp = StaleParams(day_start_window_s=params.stale_day_start_window_s,
                             max_speed_knots=params.max_speed_knots, noise_m=params.noise_m)
            stale = tracks_stale_mask(data, sp) if t is data.tracks else stale_mask(t, sp)
            if stale.any():
                t = t.filter(pl.Series(~stale))
        return t

    key = ("spoofing_usable", params.stale_day_start_window_s, params.max_speed_knots,
           params.noise_m)
    return data.derived.get(key, build)


def _main_tracks(multi: pl.DataFrame) -> pl.DataFrame:
    return (
        multi.sort(["mmsi", "n", "track_id"], descending=[False, True, False])
        .group_by("mmsi", maintain_order=True)
        .first()
        .select("mmsi", pl.col("track_id").alias("main_track_id"))
    )


def stray_mask(short: pl.DataFrame, data: DetectionInput, params: Params) -> pl.Series:
    """Which ``short_track`` rows are one stray fix no ship could plausibly report (see
    ``stray_coast_km`` and ``stray_max_jump_km``)."""
    shore = np.asarray(data.reference.distance_from_shore_km(
        short["lat"].to_numpy(), short["lon"].to_numpy()), dtype=np.float64)
    coastal = pl.Series(np.nan_to_num(shore, nan=np.inf) < params.stray_coast_km)
    far = short["distance_km"].fill_null(0) > params.stray_max_jump_km
    return (short["n_positions"] == 1) & (coastal | far)


def short_track_fixes(data: DetectionInput, params: Params) -> pl.DataFrame:
    """Every split-off short track no movement from its MMSI's main track explains (the
    ``short_track`` rows, before the :func:`stray_mask` cut), for ``spoofing`` and the
    ``stray_position`` check (built once per input)."""

    def build() -> pl.DataFrame:
        t = _usable(data, params)
        if not t.height:
            return pl.DataFrame()
        summ = _track_summary(t)
        multi = summ.filter(pl.len().over("mmsi") > 1)
        if not multi.height:
            return pl.DataFrame()
        return _short_tracks(t, multi, _main_tracks(multi), params)

    key = ("short_tracks", params.stale_day_start_window_s, params.max_speed_knots,
           params.noise_m, params.max_short_track_positions)
    return data.derived.get(key, build)


@register(EVENT_TYPE, Params, reads=(), details=(
    SHORT_TRACK, TRACK_JUMP, SIMULTANEOUS, ON_LAND, TELEPORT))
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """Spoofing events (DETECTION.md 1.6); see the module docstring for the subtypes.

    Every event lists its source records in ``evidence`` (at most ``MAX_EVIDENCE``;
    ``n_positions`` has the count).
    """
    t = _usable(data, params)
    parts: list[pl.DataFrame] = []
    if t.height:
        summ = _track_summary(t)
        multi = summ.filter(pl.len().over("mmsi") > 1)
        if multi.height:
            long = multi.filter(pl.col("n") > params.max_short_track_positions)
            short = short_track_fixes(data, params)
            if short.height:
                short = short.filter(~stray_mask(short, data, params))
            parts += [
                short,
                _track_jumps(long, params),
                _simultaneous(t, long, params),
                _sustained_teleports(t, long, params),
            ]
        parts.append(_on_land(data, t, params))
    parts = [x for x in parts if x.height]
    if not parts:
        return pl.DataFrame()
    ev = pl.concat(parts, how="diagonal_relaxed").with_columns(
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
    )
    ev = with_event_ids(ev, ["subtype", "_key", "lat", "lon"]).drop("_key")
    return ev.sort(["mmsi", "start_time", "subtype", "event_id"])


__all__ = ["EVENT_TYPE", "Params", "detect", "short_track_fixes", "stray_mask"]
