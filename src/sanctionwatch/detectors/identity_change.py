"""Identity changes in one vessel's static reports: renames, IMO / call sign / type / flag
changes, and an MMSI whose country (MID) contradicts the stated flag.

DETECTION.md 1.6 (identity spoofing) and 3 (identity laundering: renamed ships keeping the IMO
hull, fraudulent registries and flag hopping). Changes are read from ``vessel_reports`` per MMSI
in time order. A value that comes or goes (null <-> value) is not a change, and neither is a
difference of case, spacing or punctuation only, nor, because each was read as a false
identity change on the real samples (docs/real-review.md):

- an IMO number that fails its check digit (``914466500`` for 9144665, a USCG documentation
  number): not an identity at all, a data-quality matter;
- a ship type code revised within its ITU-R M.1371 category (the tens digit: 52 tug / 57
  local vessel, 60 / 69 passenger, 70 / 74 cargo): transceiver configuration;
- a call sign or name whose only difference is two adjacent characters swapped (``WDM3715`` /
  ``WMD3715``): a typing error. One IMO broadcast by several MMSIs is the
fleet-scope detector :mod:`~sanctionwatch.detectors.shared_imo` (same event type).

Per vessel and per field, the work is one sort of the reports by MMSI and time and a shift
within each MMSI's rows: O(r log r) for r reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.base import Params as BaseParams
from sanctionwatch.detectors.common import (
    MAX_EVIDENCE,
    evidence_expr,
    iso_expr,
    nearest_position,
    with_event_ids,
)
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.ids import SOVEREIGN, imo_valid_array, mid_table
from sanctionwatch.tracks.continuity import blocks_of
from sanctionwatch.units import hours_between

EVENT_TYPE = "identity_change"
FIELDS = ("name", "imo", "callsign", "ship_type", "flag")
"""Report fields followed in time; each change is an event with ``subtype`` = the field."""

FIELD_CHANGE = Details(
    {
        "old_value_last_reported": Key(pl.Utf8(), "time of the last report with the old value"),
        "hours_since_old_report": Key(pl.Float64(), "hours from that report to the first with "
                                      "the new value"),
        "across_input_break": Key(pl.Boolean(), "the two reports lie in input files far apart "
                                  "in time: the change happened somewhen in between"),
    },
    subtypes=FIELDS,
)
MID_FLAG_MISMATCH = Details(
    {
        "mid": Key(pl.Int64(), "the Maritime Identification Digits of the MMSI"),
        "mid_country": Key(pl.Utf8(), "the MID's country (ITU table)"),
        "mid_iso2": Key(pl.Utf8(), "its ISO 3166-1 alpha-2 code"),
        "flag": Key(pl.Utf8(), "the flag stated in the reports"),
        "n_reports": Key(pl.Int64(), "reports stating that flag"),
    },
    subtypes=("mid_flag_mismatch",),
)


@dataclass(frozen=True)
class Params(BaseParams):
    """Identity change parameters (DETECTION.md 1.6 and 3).

    fields: report fields whose changes are events (``name``, ``imo``, ``callsign``,
        ``ship_type``, ``flag``; flag only where the source states it).
    mid_flag_mismatch: emit ``mid_flag_mismatch`` events (MMSI country vs stated flag).
    """

    fields: tuple[str, ...] = FIELDS
    mid_flag_mismatch: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = set(self.fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"identity_change.Params.fields: unknown {sorted(unknown)}")


_BASE_COLS = ["mmsi", "timestamp", "source", "record"]


def _value_and_key(field: str) -> tuple[pl.Expr, pl.Expr]:
    """Display value and comparison key of a field; null when 'not available'."""
    if field in ("imo", "ship_type"):
        # 0 is the AIS 'not available' value for both
        v = pl.when(pl.col(field) > 0).then(pl.col(field).cast(pl.Utf8)).otherwise(None)
        if field == "ship_type":
            return v, pl.when(pl.col(field) > 0).then((pl.col(field) // 10).cast(pl.Utf8))
        valid = pl.col(field).map_batches(
            lambda s: pl.Series(imo_valid_array(s.fill_null(0).to_numpy())),
            return_dtype=pl.Boolean)
        v = pl.when(valid).then(v).otherwise(None)
        return v, v
    v = pl.col(field).str.strip_chars().str.replace_all(r"\s+", " ")
    key = v.str.to_uppercase().str.replace_all(r"[^\p{L}\p{N}]", "")
    return v, pl.when(key != "").then(key).otherwise(None)


def _swapped(a: str, b: str) -> bool:
    """``a`` is ``b`` with two adjacent characters swapped (a typing error). Called on the few
    rows that changed, not on every report."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (len(diff) == 2 and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])


def _field_changes(rep: pl.LazyFrame, field: str) -> pl.LazyFrame:
    """Changes of one field; ``rep`` must be sorted by MMSI (then time)."""
    value, key = _value_and_key(field)
    f = rep.select(*_BASE_COLS, "_block", value.alias("new_value"), key.alias("key")).filter(
        pl.col("key").is_not_null()
    )
    prev = {
        "old_value": pl.col("new_value"),
        "prev_key": pl.col("key"),
        "prev_ts": pl.col("timestamp"),
        "prev_ev": evidence_expr(),
        "prev_block": pl.col("_block"),
    }
    # the previous row of the same MMSI: rows are sorted by MMSI, so a plain shift within the
    # MMSI's run (much cheaper than a window over thousands of MMSIs)
    same = pl.col("mmsi").eq_missing(pl.col("mmsi").shift(1))
    f = f.with_columns([pl.when(same).then(e.shift(1)).alias(k) for k, e in prev.items()])
    ch = f.filter(pl.col("prev_key").is_not_null() & (pl.col("key") != pl.col("prev_key")))
    if field in ("name", "callsign"):
        ch = ch.filter(~pl.struct("key", "prev_key").map_batches(
            lambda s: pl.Series([_swapped(a, b) for a, b in zip(
                s.struct.field("key").to_list(), s.struct.field("prev_key").to_list(),
                strict=True)], dtype=pl.Boolean),
            return_dtype=pl.Boolean))
    return ch.select(
        "mmsi",
        pl.col("timestamp").alias("start_time"),
        pl.col("timestamp").alias("end_time"),
        pl.lit(field).alias("subtype"),
        "old_value",
        "new_value",
        pl.concat_list([pl.col("prev_ev"), evidence_expr()]).alias("evidence"),
        FIELD_CHANGE.expr(
            old_value_last_reported=iso_expr("prev_ts"),
            hours_since_old_report=hours_between("prev_ts", "timestamp"),
            across_input_break=pl.col("_block") != pl.col("prev_block"),
        ).alias("details"),
    )


def _mid_flag_mismatch(rep: pl.DataFrame) -> pl.DataFrame:
    flag = pl.col("flag").str.strip_chars().str.to_uppercase()
    f = rep.select(*_BASE_COLS, flag.alias("flag")).filter(
        pl.col("flag").str.contains(r"^[A-Z]{2}$")
        & pl.col("mmsi").is_between(200_000_000, 799_999_999)
    )
    f = f.with_columns((pl.col("mmsi") // 1_000_000).alias("mid")).join(
        mid_table(), on="mid", how="inner"
    )
    f = f.filter(pl.col("flag").replace(SOVEREIGN) != pl.col("iso2").replace(SOVEREIGN))
    per = (
        f.sort(["mmsi", "timestamp", "source", "record"])
        .group_by(["mmsi", "flag"])
        .agg(
            pl.col("timestamp").min().alias("start_time"),
            pl.col("timestamp").max().alias("end_time"),
            pl.len().alias("n"),
            pl.col("mid").first(),
            pl.col("iso2").first(),
            pl.col("country").first(),
            evidence_expr().head(MAX_EVIDENCE).alias("evidence"),
        )
    )
    return per.select(
        "mmsi",
        "start_time",
        "end_time",
        pl.lit("mid_flag_mismatch").alias("subtype"),
        pl.col("iso2").alias("old_value"),
        pl.col("flag").alias("new_value"),
        "evidence",
        MID_FLAG_MISMATCH.expr(
            mid=pl.col("mid"),
            mid_country=pl.col("country"),
            mid_iso2=pl.col("iso2"),
            flag=pl.col("flag"),
            n_reports=pl.col("n"),
        ).alias("details"),
    )


@register(EVENT_TYPE, Params, reads=(), details=(FIELD_CHANGE, MID_FLAG_MISMATCH))
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """Identity changes per MMSI from ``vessel_reports`` (DETECTION.md 1.6, 3).

    Subtypes: one per changed field (``name``, ``imo``, ``callsign``, ``ship_type``,
    ``flag``; ``old_value`` -> ``new_value`` at the first report with the new value) and
    ``mid_flag_mismatch`` (the MMSI's MID country is not the stated flag; ``old_value`` = MID
    country, ``new_value`` = flag; one event per MMSI and flag). Positions come from the
    vessel's position nearest in time.
    """
    rep = data.reports
    if rep.height == 0:
        return pl.DataFrame()
    rep = rep.sort(["mmsi", "timestamp", "source", "record"])
    rep = rep.with_columns(blocks_of(rep["timestamp"], data.input_spans))
    out: list[pl.DataFrame] = []
    # one small frame per field: a loop over (at most five) columns, not over rows
    parts = [_field_changes(rep.lazy(), f) for f in params.fields]
    if parts:
        changes = pl.concat(parts, how="vertical_relaxed").collect()
        out.append(nearest_position(changes, data.tracks, time_col="start_time"))
    if params.mid_flag_mismatch:
        mm = _mid_flag_mismatch(rep)
        out.append(nearest_position(mm, data.tracks, time_col="start_time"))
    out = [o for o in out if o.height]
    if not out:
        return pl.DataFrame()
    events = pl.concat(out, how="diagonal_relaxed")
    events = events.with_columns(
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
    )
    events = with_event_ids(events, ["subtype", "old_value", "new_value"])
    return events.sort(["mmsi", "start_time", "subtype", "event_id"])


__all__ = ["EVENT_TYPE", "FIELDS", "FIELD_CHANGE", "MID_FLAG_MISMATCH", "Params", "detect"]
