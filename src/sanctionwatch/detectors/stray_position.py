"""Stray positions: one fix off an otherwise continuous track (data quality).

A single position that no movement from the MMSI's track explains, with the track going on
as before around it, and that no ship could plausibly report (on land or at the coast, or an
ocean away) is a bit error, a mis-decoded message or another station's fix under the wrong
MMSI: not evidence that the ship spoofed its position. ``spoofing`` reports the other
split-off tracks as ``impossible_speed``; such a fix is reported here instead, with the same
columns and evidence (the fix, and the track's positions just before and after it).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sanctionwatch.detectors import spoofing
from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.common import with_event_ids
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.units import hours_between

EVENT_TYPE = "stray_position"

DETAILS = Details({
    "kind": Key(pl.Utf8(), "`short_track` (as in `spoofing`)"),
    "track_id": Key(pl.Int64(), "the one-fix track (`prepare_tracks` numbering)"),
    "main_track_id": Key(pl.Int64(), "the MMSI's main (longest) track"),
})


@dataclass(frozen=True)
class Params(spoofing.Params):
    """The :class:`spoofing.Params <sanctionwatch.detectors.spoofing.Params>` fields: give
    both detectors the same values, so every split-off fix is one or the other."""


@register(EVENT_TYPE, Params, reads=(), details=(DETAILS,), category="quality")
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """Split-off tracks of one fix that no movement from the MMSI's main track explains and
    no ship could plausibly report (on land, within ``stray_coast_km`` of the coast or more
    than ``stray_max_jump_km`` off): ``spoofing``'s ``short_track`` columns, ``subtype``
    null."""
    fixes = spoofing.short_track_fixes(data, params)
    if fixes.height == 0:
        return pl.DataFrame()
    out = fixes.filter(spoofing.stray_mask(fixes, data, params))
    if out.height == 0:
        return pl.DataFrame()
    out = out.drop("_key").with_columns(
        pl.lit(EVENT_TYPE).alias("event_type"),
        pl.lit(None, dtype=pl.Utf8).alias("subtype"),
        hours_between("start_time", "end_time").alias("duration_h"),
    )
    return with_event_ids(out, ["lat", "lon"]).sort(["mmsi", "start_time", "event_id"])


__all__ = ["DETAILS", "EVENT_TYPE", "Params", "detect"]
