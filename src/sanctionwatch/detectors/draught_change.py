"""Reported draught changes: a ship that loaded (``laden``) or discharged (``unladen``) cargo.

DETECTION.md 3: coal and oil move to and from DPRK by ship-to-ship transfer or direct voyages,
and vessels "go dark near DPRK and reappear with changed draught". A draught change between two
consecutive static reports of one MMSI is an event, linked to the AIS gaps, encounters and
loitering of that vessel that fall between the two reports, where the cargo most likely
moved.

AIS draught is typed in by the crew and often left stale or wrong (practitioner feedback,
DETECTION.md 1.6): a change is a hint to corroborate, never proof. Values that cannot be real
are ignored before comparing (see :class:`Params`), and only values that were held count
(hysteresis): two transponders on one ship, each with its own draught, make the reported value
flap between two values, which is no cargo operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.base import Params as BaseParams
from sanctionwatch.detectors.common import (
    MAX_PLAUSIBLE_DRAUGHT_M,
    evidence_expr,
    iso_expr,
    nearest_position,
    with_event_ids,
)
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.tracks.continuity import blocks_of
from sanctionwatch.units import US_PER_H, hours_between

EVENT_TYPE = "draught_change"
LINKED_TYPES = ("ais_gap", "encounter", "loitering")

DETAILS = Details(
    {
        "change_m": Key(pl.Float64(), "later minus earlier draught, metres"),
        "length_m": Key(pl.Float64(), "the vessel's reported length, metres"),
        "earlier_report": Key(pl.Utf8(), "time of the earlier report"),
        "later_report": Key(pl.Utf8(), "time of the later report"),
    }
)


@dataclass(frozen=True)
class Params(BaseParams):
    """Draught change parameters.

    min_change_m: smallest reported change that is an event. 0.5 m: the AIS field has 0.1 m
        resolution and crews round; fuel and water burnt and trim move a small ship by
        0.1-0.3 m over a voyage, while 0.5 m on a 3,000 dwt tanker (about 8-10 t per cm
        immersion) is already 400-500 t of cargo, the order of a small ship-to-ship parcel.
        Same default as ``ais_gap.min_draught_change_m``.
    max_draught_m: larger reported draughts are ignored (:data:`MAX_PLAUSIBLE_DRAUGHT_M`).
    max_draught_length_share: a reported draught above this fraction of the reported length
        is ignored (no displacement hull draws more than half its length; a typo such as
        120 for 12.0 m lands here).
    link_window_h: prior events are linked when their whole span lies within
        [earlier report - window, later report + window]. 6 h absorbs a crew updating the
        draught a watch or so late, or announcing it before sailing.
    link_event_types: event types in ``DetectionInput.prior_events`` to link.
    min_hold_min: a reported value counts only once it was held this long: no report of
        another value came sooner, and the vessel was still heard (a report or a position)
        that long after; a return to the earlier value within this time is no change. 30 min
        is five class A static-report intervals (6 min, ITU-R M.1371): a value repeated or
        left unchallenged through five scheduled reports is the ship's, while two
        transponders with different draughts alternate within one interval.
    """

    min_change_m: float = 0.5
    max_draught_m: float = MAX_PLAUSIBLE_DRAUGHT_M
    max_draught_length_share: float = 0.5
    link_window_h: float = 6.0
    link_event_types: tuple[str, ...] = LINKED_TYPES
    min_hold_min: float = 30.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_change_m <= 0 or self.max_draught_m <= 0:
            raise ValueError("draught_change: min_change_m and max_draught_m must be > 0")


def _plausible_reports(reports: pl.DataFrame, p: Params) -> pl.DataFrame:
    rep = reports.sort(["mmsi", "timestamp", "source", "record"]).with_columns(
        pl.col("length_m").cast(pl.Float64).forward_fill().backward_fill().over("mmsi")
        .alias("_length"),
        pl.col("draught_m").cast(pl.Float64).round(2).alias("_d"),
    )
    return rep.filter(
        (pl.col("_d") > 0)
        & (pl.col("_d") <= p.max_draught_m)
        & (
            pl.col("_length").is_null()
            | (pl.col("_length") <= 0)
            | (pl.col("_d") <= p.max_draught_length_share * pl.col("_length"))
        )
    )


def _held_values(rep: pl.DataFrame, tracks: pl.DataFrame, data_end: datetime,
                 p: Params) -> pl.DataFrame:
    """The plausible reports that start a held value (:attr:`Params.min_hold_min`), each with
    ``_last_ts`` and ``_last_ev``: the time and evidence of the last report of that value.

    Consecutive reports of one value form a run; a run is held when the next run starts at
    least ``min_hold_min`` after it, or, for the MMSI's last run, when the vessel was heard
    that long after its start or until ``data_end`` (less the hold: the data ended before
    anything could contradict it). Runs that are not held (flapping, typos corrected at once) are
    dropped, so the runs on either side of them are compared directly.
    """
    heard_until = pl.concat(
        [rep.select("mmsi", "timestamp"),
         tracks.select(pl.col("mmsi").cast(rep.schema["mmsi"]), "timestamp")],
        how="vertical_relaxed",
    ).group_by("mmsi").agg(pl.col("timestamp").max().alias("_heard_until"))
    # a new run where the value changes or a new input block begins (``_block``)
    new_run = (pl.col("_d") != pl.col("_d").shift(1)) | (
        pl.col("_block") != pl.col("_block").shift(1))
    run = new_run.fill_null(True).cum_sum().over("mmsi")
    runs = (
        rep.with_columns(run.alias("_run"), evidence_expr().alias("_ev"))
        .group_by("mmsi", "_run", maintain_order=True)
        .agg(pl.all().first(), pl.col("timestamp").last().alias("_last_ts"),
             pl.col("_ev").last().alias("_last_ev"))
        .join(heard_until, on="mmsi", how="left")
    )
    next_start = pl.col("timestamp").shift(-1).over("mmsi")
    hold = pl.duration(microseconds=int(p.min_hold_min * 60_000_000))
    held = pl.when(next_start.is_not_null()).then(next_start - pl.col("timestamp") >= hold)
    # the last value: heard long enough after, or heard until the data ends (nothing could
    # contradict it)
    last_held = (pl.col("_heard_until") - pl.col("timestamp") >= hold) | (
        pl.col("_heard_until") >= data_end - hold)
    return runs.filter(held.otherwise(last_held)).drop("_run", "_ev", "_heard_until")


def _data_end(data: DetectionInput) -> datetime:
    """The end of the run's inputs (``input_spans``), else of the data given."""
    if data.input_spans is not None and data.input_spans.height:
        end = data.input_spans["end"].max()
    else:
        end = max(x for x in (data.reports["timestamp"].max(), data.tracks["timestamp"].max()
                              if data.tracks.height else None) if x is not None)
    assert isinstance(end, datetime)
    return end


def _not_two_transponders(events: pl.DataFrame, prior: pl.DataFrame | None) -> pl.DataFrame:
    """``events`` without the changes between the two draughts a ``duplicate_transponder``
    finding of the same MMSI names: two units configured with different values take turns,
    however slowly (the simulator's ship alternating about hourly), and none of their turns is
    cargo."""
    if prior is None or prior.height == 0:
        return events
    pairs = prior.filter((pl.col("event_type") == "duplicate_transponder")
                         & (pl.col("subtype") == "draught"))
    if pairs.height == 0:
        return events
    ab = pairs.select(
        pl.col("mmsi").cast(pl.Int64).alias("_m"),
        pl.col("details").str.json_path_match("$.value_a").cast(pl.Float64).round(1).alias("_a"),
        pl.col("details").str.json_path_match("$.value_b").cast(pl.Float64).round(1).alias("_b"),
    ).unique()
    pair = events.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
        pl.col("mmsi").cast(pl.Int64).alias("_m"),
        pl.min_horizontal("draught_before_m", "draught_after_m").cast(pl.Float64).round(1)
        .alias("_lo"),
        pl.max_horizontal("draught_before_m", "draught_after_m").cast(pl.Float64).round(1)
        .alias("_hi"),
    )
    flapping = pair.join(ab, on="_m").filter(
        (pl.col("_lo") == pl.min_horizontal("_a", "_b"))
        & (pl.col("_hi") == pl.max_horizontal("_a", "_b")))["_row"]
    return events.filter(~pl.int_range(pl.len(), dtype=pl.Int64).is_in(flapping.implode()))


def _link(events: pl.DataFrame, prior: pl.DataFrame | None, p: Params) -> pl.DataFrame:
    """``related_event_ids``: prior events of the same vessel (either party of an encounter)
    whose span lies within the window around the two reports."""
    empty = pl.lit([], dtype=pl.List(pl.Utf8))
    if prior is None or prior.height == 0 or not p.link_event_types:
        return events.with_columns(empty.alias("related_event_ids"))
    pe = prior.filter(pl.col("event_type").is_in(list(p.link_event_types)))
    cols = ["event_id", "start_time", "end_time"]
    parties = pl.concat(
        [
            pe.select(*cols, pl.col("mmsi").cast(pl.Int64).alias("_pm")),
            pe.filter(pl.col("other_mmsi").is_not_null()).select(
                *cols, pl.col("other_mmsi").cast(pl.Int64).alias("_pm")
            ),
        ],
        how="vertical",
    ).rename({"event_id": "_pid", "start_time": "_ps", "end_time": "_pe"})
    w = pl.duration(microseconds=int(p.link_window_h * US_PER_H))
    ev = events.with_row_index("_row")
    links = (
        ev.select("_row", "mmsi", "start_time", "end_time")
        .join(parties, left_on="mmsi", right_on="_pm")
        .filter(
            (pl.col("_ps") >= pl.col("start_time") - w) & (pl.col("_pe") <= pl.col("end_time") + w)
        )
        .group_by("_row")
        .agg(pl.col("_pid").unique().sort().alias("related_event_ids"))
    )
    return (
        ev.join(links, on="_row", how="left")
        .with_columns(pl.col("related_event_ids").fill_null(empty))
        .sort("_row")
        .drop("_row")
    )


@register(EVENT_TYPE, Params, details=(DETAILS,))
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """Draught changes between consecutive held values of one MMSI (see :class:`Params`).

    ``subtype`` ``laden`` (deeper) or ``unladen`` (shallower); ``start_time`` = the earlier
    report, ``end_time`` = the later one (the change happened in between);
    ``draught_before_m``/``draught_after_m`` and ``old_value``/``new_value`` carry the two
    values; ``lat``/``lon`` = vessel position nearest the earlier report, ``end_lat``/
    ``end_lon`` nearest the later one; ``related_event_ids`` = linked ``ais_gap``,
    ``encounter`` and ``loitering`` events of ``data.prior_events``.
    """
    if data.reports.height == 0:
        return pl.DataFrame()
    rep = _plausible_reports(data.reports, params)
    # a draught in a file of another year is no "before": compare within an input block only
    rep = rep.with_columns(blocks_of(rep["timestamp"], data.input_spans))
    rep = _held_values(rep, data.tracks, _data_end(data), params)
    prev = {
        "_pd": pl.col("_d"),
        "_pts": pl.col("_last_ts"),
        "_pev": pl.col("_last_ev"),
        "_pblock": pl.col("_block"),
    }
    rep = rep.with_columns(e.shift(1).over("mmsi").alias(k) for k, e in prev.items())
    change = (pl.col("_d") - pl.col("_pd")).round(2)
    ch = rep.filter(pl.col("_pd").is_not_null() & (change.abs() >= params.min_change_m)
                    & (pl.col("_block") == pl.col("_pblock")))
    if ch.height == 0:
        return pl.DataFrame()
    ev = ch.select(
        "mmsi",
        pl.col("_pts").alias("start_time"),
        pl.col("timestamp").alias("end_time"),
        pl.when(change > 0).then(pl.lit("laden")).otherwise(pl.lit("unladen")).alias("subtype"),
        pl.col("_pd").round(1).cast(pl.Utf8).alias("old_value"),
        pl.col("_d").round(1).cast(pl.Utf8).alias("new_value"),
        pl.col("_pd").alias("draught_before_m"),
        pl.col("_d").alias("draught_after_m"),
        pl.lit(True).alias("draught_changed"),
        pl.concat_list([pl.col("_pev"), evidence_expr()]).alias("evidence"),
        DETAILS.expr(
            change_m=change,
            length_m=pl.col("_length"),
            earlier_report=iso_expr("_pts"),
            later_report=iso_expr("timestamp"),
        ).alias("details"),
    )
    ev = nearest_position(ev, data.tracks, time_col="start_time")
    ev = nearest_position(
        ev, data.tracks, time_col="end_time", lat_col="end_lat", lon_col="end_lon",
        nan_when_unknown=False,
    )
    ev = _not_two_transponders(ev, data.prior_events)
    if ev.height == 0:
        return pl.DataFrame()
    ev = _link(ev, data.prior_events, params).with_columns(
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
    )
    ev = with_event_ids(ev, ["subtype", "old_value", "new_value"])
    return ev.sort(["mmsi", "start_time", "event_id"])


__all__ = ["DETAILS", "EVENT_TYPE", "LINKED_TYPES", "MAX_PLAUSIBLE_DRAUGHT_M", "Params", "detect"]
