"""Data quality: values no ship can have.

Reported static data beyond any ship built (draught, length, beam), speeds beyond any ship's,
and positions no receiver decoded (0, 0 and coordinates out of range, taken out by track
preparation). Each is a property of the record, reported as a ``quality`` finding so that no
behaviour detector has to explain it. One finding per MMSI and ``subtype``: ``draught``,
``length``, ``width`` (static reports), ``speed`` (positions' speed over ground),
``null_island`` and ``position_out_of_range`` (removed positions).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.base import Params as BaseParams
from sanctionwatch.detectors.common import (
    MAX_EVIDENCE,
    MAX_PLAUSIBLE_DRAUGHT_M,
    evidence_expr,
    nearest_position,
    tracks_in_record_order,
    with_event_ids,
)
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.tracks.continuity import blocks_of
from sanctionwatch.units import hours_between

EVENT_TYPE = "impossible_value"

REMOVED_REASONS = ("null_island", "position_out_of_range")
"""Removal reasons reported (``position_not_available``, 91/181, is AIS's legitimate "not
available" value; duplicates are a reception artefact)."""

DETAILS = Details({
    "value": Key(pl.Float64(), "the most extreme value reported (speed in knots, sizes in "
                 "metres; the latitude for removed positions)"),
    "limit": Key(pl.Float64(), "the parameter it exceeds (null for removed positions)"),
    "n_records": Key(pl.Int64(), "records with an impossible value"),
})


@dataclass(frozen=True)
class Params(BaseParams):
    """Impossible-value limits.

    max_draught_m: deepest plausible draught (:data:`MAX_PLAUSIBLE_DRAUGHT_M`: ULCCs draw
        about 25 m; AIS 25.5 means "25.5 m or more").
    max_length_m: longest plausible reported length. The longest ship built, Seawise Giant,
        was 458 m; US towboats report the length of their tow, which passes it (a 476 m tow
        in the MarineCadastre sample), so 500 m.
    max_width_m: widest plausible beam. The widest ship built, Pioneering Spirit, has 124 m;
        floating plant reports more (a USACE mat-sinking unit, 126 m, in the MarineCadastre
        sample), so 130 m.
    max_sog_knots: fastest plausible speed over ground. 60 kn: above the fastest passenger
        craft in service (about 50 kn); AIS 102.2 means "102.2 kn or more".
    removed_positions: report positions removed as ``null_island`` or
        ``position_out_of_range``.
    """

    max_draught_m: float = MAX_PLAUSIBLE_DRAUGHT_M
    max_length_m: float = 500.0
    max_width_m: float = 130.0
    max_sog_knots: float = 60.0
    removed_positions: bool = True


def _over(frame: pl.DataFrame, col: str, limit: float, subtype: str,
          spans: pl.DataFrame | None) -> pl.DataFrame:
    bad = frame.filter(pl.col(col) > limit)
    if bad.height == 0:
        return pl.DataFrame()
    # one finding per input block: files years apart are separate observations
    bad = bad.with_columns(blocks_of(bad["timestamp"], spans))
    return bad.sort("mmsi", "timestamp", "source", "record").group_by(
        "mmsi", "_block", maintain_order=True).agg(
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.col(col).cast(pl.Float64).round(3).max().alias("_value"),
        pl.len().cast(pl.Int64).alias("_n"),
        evidence_expr().head(MAX_EVIDENCE).alias("evidence"),
    ).with_columns(pl.lit(subtype).alias("subtype"), pl.lit(limit).alias("_limit"))


def _removed(removed: pl.DataFrame, spans: pl.DataFrame | None) -> pl.DataFrame:
    bad = removed.filter(pl.col("reason").is_in(list(REMOVED_REASONS)))
    if bad.height == 0:
        return pl.DataFrame()
    bad = bad.with_columns(blocks_of(bad["timestamp"], spans))
    return bad.sort("mmsi", "timestamp", "source", "record").group_by(
        "mmsi", "reason", "_block", maintain_order=True).agg(
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.col("lat").first().cast(pl.Float64).alias("_value"),
        pl.len().cast(pl.Int64).alias("_n"),
        evidence_expr().head(MAX_EVIDENCE).alias("evidence"),
    ).rename({"reason": "subtype"}).with_columns(pl.lit(None, dtype=pl.Float64).alias("_limit"))


@register(EVENT_TYPE, Params, reads=(), details=(DETAILS,), category="quality")
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """One finding per MMSI, subtype and input block; ``lat``/``lon`` is the MMSI's position
    nearest in time to the first record (NaN when it has none), ``evidence`` the records."""
    rep, t = data.reports, data.tracks
    parts = [
        _over(rep, "draught_m", params.max_draught_m, "draught", data.input_spans),
        _over(rep, "length_m", params.max_length_m, "length", data.input_spans),
        _over(rep, "width_m", params.max_width_m, "width", data.input_spans),
        _over(t, "sog_knots", params.max_sog_knots, "speed", data.input_spans),
    ]
    if params.removed_positions and data.removed is not None and data.removed.height:
        parts.append(_removed(data.removed, data.input_spans))
    parts = [x for x in parts if x.height]
    if not parts:
        return pl.DataFrame()
    found = nearest_position(pl.concat(parts, how="diagonal_relaxed"),
                             tracks_in_record_order(t), time_col="start_time")
    ev = found.select(
        "mmsi", "start_time", "end_time", "lat", "lon", "evidence", "subtype",
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
        DETAILS.expr(value=pl.col("_value"), limit=pl.col("_limit"), n_records=pl.col("_n"))
        .alias("details"),
    )
    return with_event_ids(ev, ["subtype"]).sort(["mmsi", "start_time", "subtype"])


__all__ = ["EVENT_TYPE", "REMOVED_REASONS", "Params", "detect"]
