"""Data quality: IMO numbers in the static reports that are no IMO ship number.

A wrong IMO field is mostly a data-entry habit, not a disguise: US vessels without an IMO
number put their USCG documentation number there (a 6- or 7-digit official number that mostly
fails the IMO check digit). It is a ``quality`` finding; the behaviour of changing or sharing a
valid IMO number is ``identity_change``'s.

Reasons (``subtype``), in this order:

- ``placeholder``: 1234567 (passes the check digit, :data:`~sanctionwatch.ids.PLACEHOLDER_IMOS`);
- ``uscg_documentation_number``: under a US MMSI (MIDs 303, 338, 366-369), a number of 6 or 7
  digits (a USCG official number) that fails the check digit;
- ``imo_times_100``: more than 7 digits, a valid IMO number followed by ``00`` (914466500 for
  9144665): the number is right, the field's scale is not;
- ``wrong_length``: not 7 digits;
- ``check_digit``: 7 digits, failing the check digit (IMO Resolution A.1078(28)).

0 (not available) is not reported. One finding per MMSI, IMO number and reason.
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
from sanctionwatch.ids import PLACEHOLDER_IMOS, US_MIDS, imo_valid_array
from sanctionwatch.tracks.continuity import blocks_of
from sanctionwatch.units import hours_between

EVENT_TYPE = "invalid_imo"

DETAILS = Details({
    "imo": Key(pl.Int64(), "the IMO number as broadcast"),
    "reason": Key(pl.Utf8(), "`placeholder`, `uscg_documentation_number`, `imo_times_100`, "
                  "`wrong_length` or `check_digit`"),
    "n_reports": Key(pl.Int64(), "reports with it"),
    "position_offset_h": Key(pl.Float64(), "hours between the finding and the vessel position "
                             "given in `lat`/`lon`"),
})


@dataclass(frozen=True)
class Params(BaseParams):
    """``invalid_imo`` has no parameters: the rules are the IMO's and the MID table's."""


def imo_problem(imo: pl.Expr, mmsi: pl.Expr, valid: pl.Expr, valid_hundredth: pl.Expr
                ) -> pl.Expr:
    """Why an IMO number is no ship number (null when it is one): see the module docstring.
    ``valid``: ``imo`` passes the check digit; ``valid_hundredth``: ``imo / 100`` does."""
    return (
        pl.when(imo.is_in(list(PLACEHOLDER_IMOS))).then(pl.lit("placeholder"))
        .when(valid).then(pl.lit(None, dtype=pl.Utf8))
        .when(imo.is_between(100_000, 9_999_999) & (mmsi // 1_000_000).is_in(list(US_MIDS)))
        .then(pl.lit("uscg_documentation_number"))
        .when((imo > 9_999_999) & (imo % 100 == 0) & valid_hundredth)
        .then(pl.lit("imo_times_100"))
        .when((imo > 9_999_999) | (imo < 1_000_000)).then(pl.lit("wrong_length"))
        .otherwise(pl.lit("check_digit"))
    )


@register(EVENT_TYPE, Params, reads=(), details=(DETAILS,), category="quality")
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """One finding per MMSI, IMO number, reason and input block; ``lat``/``lon`` is the
    MMSI's position nearest in time to the first report (NaN when it has none), ``evidence``
    the reports."""
    rep = data.reports.filter(pl.col("imo").is_not_null() & (pl.col("imo") > 0))
    if rep.height == 0:
        return pl.DataFrame()
    imo = rep["imo"].cast(pl.Float64).to_numpy()
    rep = rep.with_columns(pl.Series("_valid", imo_valid_array(imo)),
                           pl.Series("_valid_100", imo_valid_array(imo // 100)))
    bad = rep.with_columns(
        imo_problem(pl.col("imo"), pl.col("mmsi"), pl.col("_valid"), pl.col("_valid_100"))
        .alias("_reason")
    ).filter(pl.col("_reason").is_not_null())
    if bad.height == 0:
        return pl.DataFrame()
    # one finding per input block: files years apart are separate observations
    bad = bad.with_columns(blocks_of(bad["timestamp"], data.input_spans))
    per = bad.sort(["mmsi", "timestamp", "source", "record"]).group_by(
        ["mmsi", "imo", "_reason", "_block"], maintain_order=True
    ).agg(
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.len().cast(pl.Int64).alias("n_reports"),
        evidence_expr().head(MAX_EVIDENCE).alias("evidence"),
    )
    per = nearest_position(per, tracks_in_record_order(data.tracks), time_col="start_time",
                           offset_col="_off")
    ev = per.select(
        "mmsi", "start_time", "end_time", "lat", "lon", "evidence",
        pl.col("_reason").alias("subtype"),
        pl.col("imo").cast(pl.Utf8).alias("new_value"),
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
        DETAILS.expr(imo=pl.col("imo"), reason=pl.col("_reason"), n_reports=pl.col("n_reports"),
                     position_offset_h=pl.col("_off")).alias("details"),
    )
    return with_event_ids(ev, ["subtype", "new_value"]).sort(["mmsi", "start_time"])


__all__ = ["EVENT_TYPE", "Params", "detect", "imo_problem"]
