"""Data quality: MMSIs that are no valid station identity, or a ship's with an unallocated MID.

Such identities are a property of the data (a misconfigured or test transponder, a truncated
number, a fill-in shared by many craft), not a behaviour: they are ``quality`` findings, never
spoofing events. Track preparation already took the positions of invalid identities out of the
tracks (``removed`` reason ``station:invalid_identity``, see :mod:`sanctionwatch.stations`);
this check reports each of them once, with its records, and each ship MMSI whose MID is not
allocated by the ITU (still tracked as a ship).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.base import Params as BaseParams
from sanctionwatch.detectors.common import MAX_EVIDENCE, evidence_expr, with_event_ids
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.ids import station_type_array
from sanctionwatch.stations import STATION_REASON_PREFIX
from sanctionwatch.tracks.continuity import blocks_of
from sanctionwatch.units import hours_between

EVENT_TYPE = "invalid_mmsi"

DETAILS = Details({
    "reason": Key(pl.Utf8(), "why the MMSI is invalid: `zero`, `placeholder`, "
                  "`more_than_9_digits`, `fewer_than_9_digits`, `unallocated_mid`, "
                  "`not_a_station_format`"),
    "station_type": Key(pl.Utf8(), "`invalid_identity` (taken out of the tracks) or `ship` "
                        "(a ship format with an unallocated MID, still tracked)"),
})


@dataclass(frozen=True)
class Params(BaseParams):
    """``invalid_mmsi`` has no parameters: the formats are ITU-R M.585's."""


def _positions(data: DetectionInput) -> pl.DataFrame:
    cols = ["mmsi", "timestamp", "lat", "lon", "source", "record"]
    parts = []
    if data.removed is not None and data.removed.height:
        parts.append(data.removed.filter(
            pl.col("reason") == f"{STATION_REASON_PREFIX}invalid_identity").select(cols))
    if data.tracks.height:
        mmsis = data.tracks["mmsi"].unique()
        _, reason = station_type_array(mmsis.to_numpy())
        bad = mmsis.filter(pl.Series(reason == "unallocated_mid"))
        if bad.len():
            parts.append(data.tracks.filter(pl.col("mmsi").is_in(bad.implode())).select(cols))
    return pl.concat(parts) if parts else pl.DataFrame()


@register(EVENT_TYPE, Params, reads=(), details=(DETAILS,), category="quality")
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """One finding per invalid MMSI and input block, over its time span there; ``lat``/``lon``
    its first position, ``end_lat``/``end_lon`` its last, ``evidence`` its records (at most
    ``MAX_EVIDENCE``)."""
    pos = _positions(data)
    if pos.height == 0:
        return pl.DataFrame()
    # one finding per input block: files years apart are separate observations
    pos = pos.with_columns(blocks_of(pos["timestamp"], data.input_spans))
    per = pos.sort(["mmsi", "timestamp", "source", "record"]).group_by(
        "mmsi", "_block", maintain_order=True).agg(
        pl.col("timestamp").first().alias("start_time"),
        pl.col("timestamp").last().alias("end_time"),
        pl.col("lat").first(), pl.col("lon").first(),
        pl.col("lat").last().alias("end_lat"), pl.col("lon").last().alias("end_lon"),
        pl.len().cast(pl.Int64).alias("n_positions"),
        evidence_expr().head(MAX_EVIDENCE).alias("evidence"),
    )
    kind, reason = station_type_array(per["mmsi"].to_numpy())
    per = per.with_columns(pl.Series("_kind", kind, dtype=pl.Utf8),
                           pl.Series("_reason", reason, dtype=pl.Utf8))
    ev = per.select(
        "mmsi", "start_time", "end_time", "lat", "lon", "end_lat", "end_lon", "n_positions",
        "evidence", pl.col("_reason").alias("subtype"),
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
        DETAILS.expr(reason=pl.col("_reason"), station_type=pl.col("_kind")).alias("details"),
    )
    return with_event_ids(ev, ["subtype"]).sort(["mmsi", "start_time"])


__all__ = ["EVENT_TYPE", "Params", "detect"]
