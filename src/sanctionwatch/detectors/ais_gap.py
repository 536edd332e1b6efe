"""AIS gaps ("going dark") and the Welch et al. 2022 likely-disabling filter.

DETECTION.md 1.3. A naive gap is two consecutive positions of one track at least
``min_gap_h`` apart (GFW ``product_events_ais_gaps``: 6 h); the start is the last position
before the silence (the OFF message) and the end the first after it (the ON message). A gap
is ``likely_intentional`` when it meets the disabling criteria of Welch et al. 2022
(GlobalFishingWatch/AIS-disabling-high-seas ``ais_disabling/config.py``): at least 12 h, starting
more than 50 nm from shore, with at least 14 positions in the 12 h before it.

Differences from GFW's pipe-gaps, on purpose:

- Gaps are found per ``track_id`` (a physically plausible track, see
  :func:`sanctionwatch.tracks.prepare_tracks`), not per MMSI: pipe-gaps' README warns that
  grouping by MMSI lets one "gap" join two ships sharing an MMSI.
- A continuous input is one time line, so a gap across midnight or across two consecutive
  input files is one gap (GFW processes daily and versions open gaps); tracks never bridge a
  break between input files far apart in time (:mod:`~sanctionwatch.tracks.continuity`).
- Welch et al.'s satellite reception layer (> 10 positions/day per 1° cell, modelled monthly)
  is replaced by what the run itself heard around the silent ship during its silence
  (:mod:`~sanctionwatch.detectors.reception`).
- A silence is a gap only when it was observable (:func:`observability`): the area around the
  ship was heard for at least ``min_gap_h`` of it, and the ship was heard often enough before
  or after to expect ``min_expected_positions`` in that time. Other silences are the feed's:
  :mod:`~sanctionwatch.detectors.coverage_gap` reports them as data-quality findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.base import Params as BaseParams
from sanctionwatch.detectors.common import (
    MAX_PLAUSIBLE_DRAUGHT_M,
    evidence_expr,
    iso_expr,
    tracks_in_record_order,
    with_event_ids,
)
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.detectors.reception import reception
from sanctionwatch.geo import KNOT_M_PER_S, METRES_PER_NM, haversine_m_expr
from sanctionwatch.tracks.continuity import with_blocks
from sanctionwatch.units import S_PER_H, US_PER_H, hours_between

EVENT_TYPE = "ais_gap"

DETAILS = Details(
    {
        "positions_before_12h": Key(pl.Int64(), "positions of the track in the "
                                    "`positions_before_window_h` before the gap (OFF included)"),
        "positions_before_window_h": Key(pl.Float64(), "that window"),
        "positions_after_12h": Key(pl.Int64(), "positions of the track in the "
                                   "`positions_before_window_h` after the gap (ON included)"),
        "expected_positions": Key(pl.Float64(), "positions the ship's own reporting rate "
                                  "predicts in the hours the area was heard"),
        "feed_heard_h": Key(pl.Float64(), "hours of the silence in which the feed heard "
                            "another ship anywhere"),
        "nearby_heard_h": Key(pl.Float64(), "hours of the silence in which another ship was "
                              "heard in the area (OFF and ON cells and their neighbours)"),
        "nearby_vessels": Key(pl.Float64(), "other ships heard in the area per time bin of "
                              "the silence (median)"),
        "nearby_reception_per_day": Key(pl.Float64(), "positions heard in the area during "
                                        "the silence, per day and per cell"),
        "cell_heard_h": Key(pl.Float64(), "hours of the silence in which another ship was heard "
                            "in the OFF or ON cell itself"),
        "cell_vessels_before": Key(pl.Int64(), "most other ships heard in one time bin of the "
                                   "OFF cell in the `positions_before_window_h` before"),
        "track_id": Key(pl.Int64(), "the track"),
        "draught_before_reported": Key(pl.Utf8(), "time of the draught report before the gap"),
        "draught_after_reported": Key(pl.Utf8(), "time of the draught report after it"),
        "draught_evidence": Key(pl.List(pl.Utf8()), "those two reports, as `file:record`"),
    }
)


@dataclass(frozen=True)
class Params(BaseParams):
    """AIS gap parameters (DETECTION.md 1.3).

    min_gap_h: shortest silence that is a gap: 6 h, GFW's naive-gap threshold (pipe-gaps
        ``min_gap_length = 6``). GFW requires strictly more; we use ``>=``.
    intentional_min_gap_h: Welch et al. 2022: gaps under 12 h are unreliable given satellite
        revisit periods.
    intentional_min_shore_distance_nm: Welch et al. 2022: the gap must start more than 50 nm
        from shore (over 99 % of terrestrial AIS is within 50 nm, so nearer gaps mix receiver
        hand-overs with port switch-offs).
    intentional_min_prior_positions: Welch et al. 2022: at least 14 (satellite) positions in
        the ``positions_before_window_h`` before the gap. We count every position of the track,
        the OFF message included as pipe-gaps does: our proxy for good reception.
    positions_before_window_h: the window of that count, 12 h (pipe-gaps ``n_hours_before``).
    min_draught_change_m: reported draught difference across the gap that sets
        ``draught_changed``. 0.5 m: the AIS field has 0.1 m resolution and crews round; fuel
        and water burnt on a voyage and trim move a small ship by 0.1-0.3 m, while 0.5 m on a
        3,000 dwt tanker (about 8-10 t/cm immersion) is already 400-500 t of cargo, the order
        of a small ship-to-ship parcel. Same default as ``draught_change.min_change_m``.
    open_gaps: also emit ``subtype="open"`` for tracks silent for at least ``min_gap_h`` at the
        end of the input (the latest position in ``tracks``). Off by default: the horizon
        depends on what the input holds, so an open gap is provisional and a rerun on more
        data closes it under a different ``event_id``.
    coverage_join_h: a gap is reported only when the inputs cover its whole period: the time
        spans of the input files (``source``), joined where they are less than this apart
        (1 h: consecutive daily or hourly files abut within minutes), must contain the gap.
        Otherwise the silence is between two inputs (e.g. a 2016 file and a 2022 file that
        share an MMSI) and says nothing about the vessel.
    min_expected_positions: a silence is observable only if the ship's own reporting rate
        (the larger of its positions in the ``positions_before_window_h`` before and after
        the silence, per hour) times the hours the area was heard predicts at least this
        many positions. 3: were the ship reporting as a Poisson process at that rate, the
        chance of hearing nothing by chance is e^-3 < 5 % (the "rule of three").
    min_heard_share: the feed must have heard ships (``feed``), and ships around the silent
        one (``area``), for at least this share of the silence as well as ``min_gap_h`` of it.
        0.5: the claim is the ship's silence, so most of it must have been observable; on the
        real review set a 35 h silence in which the area was heard for 7 h was read as the
        receiver's, not the ship's (docs/real-review.md, rule G1).
    intentional_min_reception_per_day: Welch et al. 2022: satellite reception above 10
        positions per day in the 1-degree cell of the gap. Here the positions actually heard
        around the ship (its cells and their neighbours, per cell) during its silence; a
        likely intentional gap also needs the area heard for ``intentional_min_gap_h`` of it.
    """

    min_gap_h: float = 6.0
    intentional_min_gap_h: float = 12.0
    intentional_min_shore_distance_nm: float = 50.0
    intentional_min_prior_positions: int = 14
    positions_before_window_h: float = 12.0
    min_draught_change_m: float = 0.5
    open_gaps: bool = False
    coverage_join_h: float = 1.0
    min_expected_positions: float = 3.0
    min_heard_share: float = 0.5
    intentional_min_reception_per_day: float = 10.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.min_heard_share <= 1:
            raise ValueError("ais_gap: min_heard_share must be between 0 and 1")
        if self.min_gap_h <= 0 or self.positions_before_window_h <= 0:
            raise ValueError("ais_gap: min_gap_h and positions_before_window_h must be > 0")


def _gap_rows(t: pl.DataFrame, p: Params, spans: pl.DataFrame | None = None) -> pl.DataFrame:
    """OFF rows of closed gaps (and open ones if asked) with their ON message columns, ``_i``
    (the row's index in its track) and ``_row`` (in ``t``: track, time, source, record order).
    """
    tid = t["track_id"].to_numpy()
    ts = t["timestamp"].dt.epoch("us").to_numpy()
    n = tid.size
    has_next = np.r_[tid[1:] == tid[:-1], False]
    track_start = np.flatnonzero(~np.r_[False, has_next[:-1]])
    # compared in whole microseconds (the timestamps' unit), so a gap of exactly min_gap_h counts
    min_gap_us = round(p.min_gap_h * US_PER_H)
    gap = has_next & (np.r_[ts[1:] - ts[:-1], 0] >= min_gap_us)
    rows = np.flatnonzero(gap | ~has_next) if p.open_gaps else np.flatnonzero(gap)
    nxt = t.select(
        pl.col("timestamp").alias("end_time"),
        pl.col("lat").alias("end_lat"),
        pl.col("lon").alias("end_lon"),
        pl.col("source").alias("end_source"),
        pl.col("record").alias("end_record"),
    )
    start_of_row = track_start[np.searchsorted(track_start, rows, side="right") - 1]
    cand = pl.concat(
        [
            t[rows].with_columns(
                pl.Series("_i", rows - start_of_row, dtype=pl.Int64),
                pl.Series("_row", rows, dtype=pl.Int64),
            ),
            nxt[np.minimum(rows + 1, n - 1)].with_columns(
                pl.when(pl.Series(has_next[rows])).then(pl.all())
            ),
        ],
        how="horizontal",
    )
    min_gap = pl.duration(microseconds=min_gap_us)
    closed = cand.filter((pl.col("end_time") - pl.col("timestamp")) >= min_gap).with_columns(
        pl.lit(None, dtype=pl.Utf8).alias("subtype")
    )
    closed = _within_input_coverage(closed, _spans(t, spans), p.coverage_join_h)
    if not p.open_gaps:
        return closed
    horizon = spans["end"].max() if spans is not None and spans.height else t["timestamp"].max()
    still = cand.filter(
        pl.col("end_time").is_null() & ((pl.lit(horizon) - pl.col("timestamp")) >= min_gap)
    ).with_columns(
        pl.lit(horizon).cast(t.schema["timestamp"]).alias("end_time"),
        pl.lit("open").alias("subtype"),
    )
    return pl.concat([closed, still], how="vertical")


def _spans(t: pl.DataFrame, given: pl.DataFrame | None) -> pl.DataFrame:
    """Time span of each input file (``source, start, end``): as given (whole run), else
    measured on ``t``."""
    if given is not None:
        return given.select("source", "start", "end")
    return t.group_by("source").agg(
        pl.col("timestamp").min().alias("start"), pl.col("timestamp").max().alias("end")
    )


def _within_input_coverage(gaps: pl.DataFrame, spans: pl.DataFrame, join_h: float) -> pl.DataFrame:
    """Keep gaps whose whole period lies inside one continuous input block (the files'
    spans joined where less than ``join_h`` apart, :func:`~sanctionwatch.tracks.continuity.
    with_blocks`)."""
    if gaps.height == 0:
        return gaps
    blocks = with_blocks(spans, join_h).group_by("block").agg(
        pl.col("start").min().alias("_cov_start"), pl.col("end").max().alias("_cov_end")
    ).sort("_cov_start")
    inside = gaps.sort("timestamp").join_asof(
        blocks, left_on="timestamp", right_on="_cov_start", strategy="backward"
    )
    return inside.filter(pl.col("end_time") <= pl.col("_cov_end")).drop(
        "block", "_cov_start", "_cov_end"
    )


def _positions_before(gaps: pl.DataFrame, t: pl.DataFrame, window_h: float) -> pl.DataFrame:
    """Count the track's positions in [start - window, start] (``_i`` minus the index of the
    track's first position at or after the window start, plus one)."""
    window_us = int(window_h * US_PER_H)
    tid = t["track_id"].to_numpy()
    ts = t["timestamp"].dt.epoch("us").to_numpy()
    same = tid[1:] == tid[:-1]
    repeated = tid[1:][same & (ts[1:] <= ts[:-1])]
    if repeated.size and np.isin(gaps["track_id"].to_numpy(), repeated).any():
        return _positions_before_asof(gaps, t, window_us)
    # Times strictly increase within the gaps' tracks: bisect each for the window start.
    track_start = np.flatnonzero(np.r_[True, ~same])
    row = gaps["_row"].to_numpy()
    lo = track_start[np.searchsorted(track_start, row, side="right") - 1]
    hi = row.copy()
    win = ts[hi] - window_us
    while (open_ := lo < hi).any():
        mid = (lo + hi) // 2
        later = ts[mid] >= win
        hi = np.where(open_ & later, mid, hi)
        lo = np.where(open_ & ~later, mid + 1, lo)
    return gaps.with_columns(pl.Series("positions_before", row - lo + 1))


def _positions_after(gaps: pl.DataFrame, t: pl.DataFrame, window_h: float) -> pl.DataFrame:
    """Count the track's positions in [end, end + window] (the ON message and those after it;
    0 for an open gap), bisecting the rest of the track (times never decrease within it)."""
    window_us = int(window_h * US_PER_H)
    tid = t["track_id"].to_numpy()
    ts = t["timestamp"].dt.epoch("us").to_numpy()
    track_end = np.r_[np.flatnonzero(tid[1:] != tid[:-1]) + 1, tid.size]
    on = gaps["_row"].to_numpy() + 1
    closed = gaps["subtype"].is_null().to_numpy()
    on = np.where(closed, on, 0)
    lo = on.copy()
    hi = track_end[np.searchsorted(track_end, on, side="right")] if on.size else on
    limit = ts[np.minimum(on, ts.size - 1)] + window_us
    while (open_ := lo < hi).any():
        mid = (lo + hi) // 2
        inside = ts[np.minimum(mid, ts.size - 1)] <= limit
        lo = np.where(open_ & inside, mid + 1, lo)
        hi = np.where(open_ & ~inside, mid, hi)
    return gaps.with_columns(pl.Series("positions_after", np.where(closed, lo - on, 0)))


def observability(gaps: pl.DataFrame, p: Params) -> pl.DataFrame:
    """``gaps`` (with ``duration_h``, ``positions_before``, ``positions_after`` and the
    :func:`~sanctionwatch.detectors.reception.reception` columns) with
    ``expected_positions`` and ``unobservable``: null for a silence that is a gap, else why
    it is not one:

    - ``feed``: the feed heard other ships, anywhere, for less than ``min_gap_h`` or less than
      ``min_heard_share`` of the silence (a feed outage, or rows stamped hours after the
      file's real end);
    - ``area``: the feed was listening, but other ships around the silent one were heard for
      less than ``min_gap_h`` or ``min_heard_share`` of the silence (out of every receiver's
      range), or the ship's own cell, busy before the silence, was heard for less than
      ``min_gap_h`` of it (an outage of the area's receiver hidden by the cells around it);
    - ``sparse``: the area was heard, but the ship itself reported too rarely for its absence
      to be noticed (``expected_positions`` < ``min_expected_positions``: e.g. one message
      per ship per day, as in satellite or decimated feeds).

    Without coverage (null reception columns) only ``sparse`` applies, on the silence's
    whole duration.
    """
    heard = pl.coalesce(pl.col("nearby_heard_h"), pl.col("duration_h"))
    needed = pl.max_horizontal(pl.lit(p.min_gap_h), p.min_heard_share * pl.col("duration_h"))
    rate = (pl.max_horizontal("positions_before", "positions_after").cast(pl.Float64)
            / p.positions_before_window_h)
    # rounded: Polars may divide by a constant as a multiplication by its inverse, one ulp off
    # depending on how a frame is chunked, and every engine must give the same figures
    return gaps.with_columns((rate * heard).round(6).alias("expected_positions")).with_columns(
        pl.when(pl.col("feed_heard_h") < needed).then(pl.lit("feed"))
        .when(pl.col("nearby_heard_h") < needed).then(pl.lit("area"))
        # the ship's own cell was busy before and nearly silent through it (heard for less
        # than a gap's length): its receiver was down, however well the cells around were
        # heard. Not less than half: a rendezvous whose ships all go dark quiets a cell too.
        .when((pl.col("cell_vessels_before").fill_null(0) >= 1)
              & (pl.col("cell_heard_h") < p.min_gap_h)).then(pl.lit("area"))
        .when(pl.col("expected_positions") < p.min_expected_positions).then(pl.lit("sparse"))
        .otherwise(None).alias("unobservable")
    )


def _positions_before_asof(gaps: pl.DataFrame, t: pl.DataFrame, window_us: int) -> pl.DataFrame:
    """:func:`_positions_before` by an as-of join, for tracks with repeated times."""
    left = gaps.with_columns(
        (pl.col("timestamp") - pl.duration(microseconds=window_us)).alias("_win")
    ).sort("_win")
    right = t.select(
        pl.col("track_id").alias("_tid"),
        pl.col("timestamp").alias("_wts"),
        pl.int_range(pl.len()).over("track_id").alias("_j"),
    ).sort("_wts")
    out = left.join_asof(
        right, left_on="_win", right_on="_wts", by_left="track_id", by_right="_tid",
        strategy="forward", check_sortedness=False,
    )
    return out.with_columns((pl.col("_i") - pl.col("_j") + 1).alias("positions_before")).drop(
        [c for c in ("_win", "_wts", "_j", "_tid") if c in out.columns]
    )


def _draughts(gaps: pl.DataFrame, reports: pl.DataFrame) -> pl.DataFrame:
    """Last draught reported at or before the start, first at or after the end (per MMSI);
    reports with no or an implausible draught are skipped."""
    rep = reports.filter(
        (pl.col("draught_m") > 0) & (pl.col("draught_m") <= MAX_PLAUSIBLE_DRAUGHT_M)
    ).select(
        pl.col("mmsi").alias("_rm"),
        pl.col("timestamp").alias("_rts"),
        pl.col("draught_m"),
        evidence_expr().alias("_rev"),
    ).sort("_rts")
    before = gaps.sort("timestamp").join_asof(
        rep.rename({"draught_m": "draught_before_m", "_rts": "draught_before_time",
                    "_rev": "draught_before_ev"}),
        left_on="timestamp", right_on="draught_before_time", by_left="mmsi", by_right="_rm",
        strategy="backward", check_sortedness=False,
    )
    before = before.drop([c for c in ("_rm",) if c in before.columns])
    after = before.sort("end_time").join_asof(
        rep.rename({"draught_m": "draught_after_m", "_rts": "draught_after_time",
                    "_rev": "draught_after_ev"}),
        left_on="end_time", right_on="draught_after_time", by_left="mmsi", by_right="_rm",
        strategy="forward", check_sortedness=False,
    )
    after = after.drop([c for c in ("_rm",) if c in after.columns])
    is_open = pl.col("subtype") == "open"
    return after.with_columns(
        pl.when(is_open).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("draught_after_m", "draught_after_time", "draught_after_ev")
    )


@register(EVENT_TYPE, Params, reads=(), details=(DETAILS,))
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """AIS gaps per track (DETECTION.md 1.3): GFW naive gaps plus Welch et al. 2022 flags.

    One event per pair of consecutive positions of a track at least ``min_gap_h`` apart
    whose silence was observable (:func:`observability`): ``start_time``/``lat``/``lon`` =
    OFF message, ``end_time``/``end_lat``/``end_lon`` = ON message, great-circle
    ``distance_km`` and ``implied_speed_knots`` between them, ``distance_from_shore_km`` and
    ``distance_to_port_km`` at the start, the MMSI's reported draught before and after,
    ``likely_intentional``, and ``details`` (:data:`DETAILS`).
    """
    gaps = silences(data, params)
    if gaps.height == 0:
        return pl.DataFrame()
    return gaps.filter(pl.col("unobservable").is_null()).drop("unobservable")


def silences(data: DetectionInput, params: Params) -> pl.DataFrame:
    """Every silence of at least ``min_gap_h`` as an ``ais_gap`` event, with the column
    ``unobservable`` (:func:`observability`): null for the gaps :func:`detect` reports.

    Built once per input and parameter values: ``ais_gap`` and ``coverage_gap`` (whose
    parameters are these) take their two shares of the same silences."""
    key = ("ais_gap.silences", *params.to_dict().items())
    return data.derived.get(key, lambda: _silences(data, params))


def _silences(data: DetectionInput, params: Params) -> pl.DataFrame:
    t = data.tracks
    if t.height == 0:
        return pl.DataFrame()
    t = tracks_in_record_order(t)
    gaps = _gap_rows(t, params, data.input_spans)
    if gaps.height == 0:
        return pl.DataFrame()
    gaps = _positions_before(gaps, t, params.positions_before_window_h)
    gaps = _positions_after(gaps, t, params.positions_before_window_h)
    gaps = reception(gaps, data.coverage, params.positions_before_window_h)
    gaps = _draughts(gaps, data.reports)

    lat = gaps["lat"].to_numpy()
    lon = gaps["lon"].to_numpy()
    ref = data.reference
    shore = ref.distance_from_shore_km(lat, lon)
    port = ref.distance_to_port_km(lat, lon)
    gaps = gaps.with_columns(
        pl.Series("distance_from_shore_km", shore, dtype=pl.Float64),
        pl.Series("distance_to_port_km", port, dtype=pl.Float64),
    ).with_columns(
        pl.when(pl.col("distance_to_port_km").is_finite()).then(pl.col("distance_to_port_km"))
        .otherwise(None),
        hours_between("timestamp", "end_time").alias("duration_h"),
        (haversine_m_expr(pl.col("lat"), pl.col("lon"), pl.col("end_lat"), pl.col("end_lon"))
         / 1000).alias("distance_km"),
    )
    gaps = observability(gaps, params)
    min_shore_km = params.intentional_min_shore_distance_nm * METRES_PER_NM / 1000
    # the area was heard through the silence (Welch et al.'s reception term), where known
    heard_around = (
        pl.col("nearby_heard_h").is_null()
        | ((pl.col("nearby_heard_h") >= params.intentional_min_gap_h)
           & (pl.col("nearby_reception_per_day").fill_null(0)
              >= params.intentional_min_reception_per_day))
    )
    draught_diff = (
        (pl.col("draught_after_m").cast(pl.Float64) - pl.col("draught_before_m").cast(pl.Float64))
        .abs().round(3)
    )
    out = gaps.with_columns(
        pl.lit(EVENT_TYPE).alias("event_type"),
        pl.when(pl.col("duration_h") > 0)
        .then(pl.col("distance_km") * 1000 / (pl.col("duration_h") * S_PER_H) / KNOT_M_PER_S)
        .otherwise(None).alias("implied_speed_knots"),
        (draught_diff >= params.min_draught_change_m).alias("draught_changed"),
        (
            (pl.col("duration_h") >= params.intentional_min_gap_h)
            & (pl.col("distance_from_shore_km").fill_nan(None) > min_shore_km).fill_null(False)
            & (pl.col("positions_before") >= params.intentional_min_prior_positions)
            & heard_around
            & pl.col("unobservable").is_null()
        ).alias("likely_intentional"),
        pl.when(pl.col("end_record").is_null()).then(pl.lit(1)).otherwise(pl.lit(2))
        .cast(pl.Int64).alias("n_positions"),
        pl.concat_list(
            [evidence_expr(), evidence_expr("end_source", "end_record")]
        ).list.drop_nulls().alias("evidence"),
        DETAILS.expr(
            positions_before_12h=pl.col("positions_before"),
            positions_before_window_h=pl.lit(params.positions_before_window_h),
            positions_after_12h=pl.col("positions_after"),
            expected_positions=pl.col("expected_positions"),
            feed_heard_h=pl.col("feed_heard_h"),
            nearby_heard_h=pl.col("nearby_heard_h"),
            nearby_vessels=pl.col("nearby_vessels"),
            nearby_reception_per_day=pl.col("nearby_reception_per_day"),
            cell_heard_h=pl.col("cell_heard_h"),
            cell_vessels_before=pl.col("cell_vessels_before"),
            track_id=pl.col("track_id"),
            draught_before_reported=iso_expr("draught_before_time"),
            draught_after_reported=iso_expr("draught_after_time"),
            draught_evidence=pl.concat_list(
                [pl.col("draught_before_ev"), pl.col("draught_after_ev")]
            ).list.drop_nulls(),
        ).alias("details"),
        pl.col("timestamp").alias("start_time"),
    )
    out = with_event_ids(out, ["subtype", "lat", "lon"])
    cols = [
        "event_id", "event_type", "mmsi", "start_time", "end_time", "lat", "lon", "duration_h",
        "subtype", "end_lat", "end_lon", "distance_km", "implied_speed_knots",
        "distance_to_port_km", "distance_from_shore_km", "draught_before_m", "draught_after_m",
        "draught_changed", "likely_intentional", "n_positions", "evidence", "details",
        "unobservable",
    ]
    return out.select(cols).sort(["mmsi", "start_time", "event_id"])


__all__ = ["DETAILS", "EVENT_TYPE", "Params", "detect", "observability", "silences"]
