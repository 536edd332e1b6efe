"""Data quality: two transponders (or two configurations) broadcasting under one MMSI.

A ship fitted with two AIS units that disagree -- one set to 11.2 m draught, the other to
8.6 m -- makes its static data flap between the two values every few minutes. Read as
behaviour, every flip is a "draught change". The finding: in one MMSI's static reports, a
value of ``draught_m``, ``length_m`` or ``width_m`` comes back to the value it had two changes
before (A, B, A) at least ``min_returns_count`` times, each change within ``max_return_h`` of
the one before. Loading or discharging takes hours and does not come back within minutes;
a typing error corrected once makes one return, not several.

One finding per MMSI and field (``subtype`` ``draught``, ``length`` or ``width``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.base import Params as BaseParams
from sanctionwatch.detectors.common import (
    MAX_EVIDENCE,
    evidence_expr,
    nearest_position,
    tracks_in_record_order,
    with_event_ids,
)
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.units import hours_between

EVENT_TYPE = "duplicate_transponder"

FIELDS = {"draught": "draught_m", "length": "length_m", "width": "width_m"}
"""Static fields compared (``subtype`` -> VESSEL_REPORTS column)."""

DETAILS = Details({
    "value_a": Key(pl.Float64(), "one of the alternating values (first seen)"),
    "value_b": Key(pl.Float64(), "the other"),
    "n_returns": Key(pl.Int64(), "times the value came back to the one two changes before"),
    "n_reports": Key(pl.Int64(), "reports in the alternation"),
})


@dataclass(frozen=True)
class Params(BaseParams):
    """Duplicate-transponder parameters.

    min_returns_count: returns (A, B, A) needed. 2 (A, B, A, B): one return is also a typing
        error corrected, two are not.
    max_return_h: each change must follow the one before within this many hours. 1 h: static
        data is sent every 6 min (ITU-R M.1371-5 table 1), so two units alternate within
        minutes (GARDEN STATE in the MarineCadastre sample: every 3 min), while cargo
        operations change a draught over hours.
    """

    min_returns_count: int = 2
    max_return_h: float = 1.0


def _alternations(rep: pl.DataFrame, subtype: str, col: str, p: Params) -> pl.DataFrame:
    r = rep.select("mmsi", "timestamp", pl.col(col).cast(pl.Float64).round(3).alias("v"),
                   evidence_expr().alias("ev")).filter(pl.col("v") > 0)
    # consecutive repeats of one value are one state
    r = r.filter((pl.col("v") != pl.col("v").shift(1).over("mmsi")).fill_null(True))
    prev = pl.col("v").shift(1).over("mmsi")
    prev2 = pl.col("v").shift(2).over("mmsi")
    quick = (pl.col("timestamp") - pl.col("timestamp").shift(1).over("mmsi")
             ) <= pl.duration(microseconds=round(p.max_return_h * 3.6e9))
    r = r.with_columns(((pl.col("v") == prev2) & (pl.col("v") != prev) & quick).fill_null(False)
                       .alias("_ret"), quick.fill_null(False).alias("_quick"))
    # a run of quick changes: the alternation
    r = r.with_columns((~pl.col("_quick")).cum_sum().over("mmsi").alias("_run"))
    per = r.group_by("mmsi", "_run", maintain_order=True).agg(
        pl.col("_ret").sum().cast(pl.Int64).alias("n_returns"),
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.col("v").first().alias("value_a"),
        pl.col("v").get(1, null_on_oob=True).alias("value_b"),
        pl.len().cast(pl.Int64).alias("n_reports"),
        pl.col("ev").head(MAX_EVIDENCE).alias("evidence"),
    ).filter(pl.col("n_returns") >= p.min_returns_count)
    return per.with_columns(pl.lit(subtype).alias("subtype"))


@register(EVENT_TYPE, Params, reads=(), details=(DETAILS,), category="quality")
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """One finding per MMSI, field and alternation; ``lat``/``lon`` is the MMSI's position
    nearest in time to its start (NaN when it has none)."""
    rep = data.reports
    if rep.height == 0:
        return pl.DataFrame()
    rep = rep.sort("mmsi", "timestamp", "source", "record")
    parts = [_alternations(rep, s, c, params) for s, c in FIELDS.items()]
    found = pl.concat([x for x in parts if x.height], how="vertical") if any(
        x.height for x in parts) else pl.DataFrame()
    if found.height == 0:
        return pl.DataFrame()
    found = nearest_position(found, tracks_in_record_order(data.tracks), time_col="start_time")
    ev = found.select(
        "mmsi", "start_time", "end_time", "lat", "lon", "evidence", "subtype",
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
        DETAILS.expr(value_a=pl.col("value_a"), value_b=pl.col("value_b"),
                     n_returns=pl.col("n_returns"), n_reports=pl.col("n_reports"))
        .alias("details"),
    )
    return with_event_ids(ev, ["subtype"]).sort(["mmsi", "start_time", "subtype"])


__all__ = ["EVENT_TYPE", "FIELDS", "Params", "detect"]
