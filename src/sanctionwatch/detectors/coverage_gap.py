"""Coverage gaps: silences of a ship that are the feed's, not the ship's (data quality).

A track silent for ``min_gap_h`` or more while nobody could have noticed it is not going dark:
the feed heard no ship at all (an outage, or a file whose last rows are stamped hours after
its real end), no receiver heard any ship around it, or the ship was heard too rarely for its
absence to mean anything (one message per ship per day). These silences are found exactly as
:mod:`~sanctionwatch.detectors.ais_gap` finds gaps (same code, same parameters) and reported
here instead, as data-quality findings, with ``subtype`` saying why
(:func:`~sanctionwatch.detectors.ais_gap.observability`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sanctionwatch.detectors import ais_gap
from sanctionwatch.detectors.base import DetectionInput, register
from sanctionwatch.detectors.common import with_event_ids

EVENT_TYPE = "coverage_gap"
SUBTYPES = ("feed", "area", "sparse")
"""Why the silence is not an ``ais_gap``, in the order tested."""


@dataclass(frozen=True)
class Params(ais_gap.Params):
    """The :class:`ais_gap.Params <sanctionwatch.detectors.ais_gap.Params>` fields: give both
    detectors the same values, so every silence is one or the other."""


@register(EVENT_TYPE, Params, reads=(), details=(ais_gap.DETAILS,), category="quality")
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """Silences of at least ``min_gap_h`` that were not observable: ``ais_gap``'s columns,
    ``event_type = "coverage_gap"``, ``subtype`` in :data:`SUBTYPES` and
    ``likely_intentional`` false."""
    gaps = ais_gap.silences(data, params)
    if gaps.height == 0:
        return pl.DataFrame()
    out = gaps.filter(pl.col("unobservable").is_not_null()).with_columns(
        pl.lit(EVENT_TYPE).alias("event_type"),
        pl.col("unobservable").alias("subtype"),
        pl.lit(False).alias("likely_intentional"),
    ).drop("unobservable")
    cols = out.columns
    return with_event_ids(out.drop("event_id"), ["subtype", "lat", "lon"]).select(cols)


__all__ = ["EVENT_TYPE", "SUBTYPES", "Params", "detect"]
