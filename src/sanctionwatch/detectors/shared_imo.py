"""One IMO number broadcast by several MMSIs: a borrowed or shared identity.

DETECTION.md 3 (identity laundering: IMO numbers of other ships broadcast, a ship re-registered
under a new MMSI that keeps its hull's IMO). Events have type ``identity_change``, subtype
``shared_imo``: one per IMO and pair of MMSIs that broadcast it. ``details.overlapping`` says
whether both did so during overlapping periods: two hulls with one identity, rather than one
hull that changed MMSI. Two MMSIs a digit apart that broadcast the same name and call sign
with the IMO are one ship with a mistyped MMSI on a second transceiver, not an event.

A fleet-scope detector: any two vessels anywhere can share an IMO. Its :class:`FleetSearch`
names the MMSIs whose reports hold an IMO that 2 to ``max_mmsi_count`` MMSIs broadcast, so an
engine loads only those vessels. The search is one group-by over (IMO, MMSI) pairs, then a
self-join within each IMO: O(r) for r reports plus the pairs (at most ``max_mmsi_count``
squared per IMO).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sanctionwatch.detectors.base import DetectionInput, FleetSearch, Params, register
from sanctionwatch.detectors.common import (
    evidence_expr,
    iso_expr,
    nearest_position,
    with_event_ids,
)
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.geo import haversine_m_expr
from sanctionwatch.ids import PLACEHOLDER_IMOS, imo_valid_array
from sanctionwatch.units import hours_between

EVENT_TYPE = "identity_change"
SUBTYPE = "shared_imo"

SHARED_IMO = Details(
    {
        "imo": Key(pl.Int64(), "the IMO number both MMSIs broadcast"),
        "overlapping": Key(pl.Boolean(), "both broadcast it during overlapping periods"),
        "mmsi_first_reported": Key(pl.Utf8(), "first report of the IMO by `mmsi`"),
        "mmsi_last_reported": Key(pl.Utf8(), "last report of the IMO by `mmsi`"),
        "other_first_reported": Key(pl.Utf8(), "first report of the IMO by `other_mmsi`"),
        "other_last_reported": Key(pl.Utf8(), "last report of the IMO by `other_mmsi`"),
        "mmsi_reports": Key(pl.Int64(), "reports of the IMO by `mmsi`"),
        "other_reports": Key(pl.Int64(), "reports of the IMO by `other_mmsi`"),
    },
    subtypes=(SUBTYPE,),
)


@dataclass(frozen=True)
class SharedImoParams(Params):
    """Shared-IMO parameters (DETECTION.md 3).

    max_mmsi_count: an IMO broadcast by more MMSIs than this is treated as a default or junk
        value and gives no events (pairs grow as n^2; a ship renamed, reflagged and
        re-registered a few times over the data uses a handful of MMSIs). 10, sanctionwatch.
    """

    max_mmsi_count: int = 10


def candidate_vessels(reports: pl.LazyFrame, params: SharedImoParams) -> pl.LazyFrame:
    """MMSIs whose reports hold an IMO broadcast by 2 to ``max_mmsi_count`` MMSIs (a superset
    of the vessels of any event: the check digit is tested later)."""
    return (
        reports.select("imo", "mmsi")
        .filter(pl.col("imo") > 0)
        .unique()
        .filter(pl.col("mmsi").len().over("imo").is_between(2, params.max_mmsi_count))
        .select("mmsi")
        .unique()
    )


def _identity_key(field: str) -> pl.Expr:
    """A name or call sign compared without case, spacing or punctuation."""
    return pl.col(field).str.to_uppercase().str.replace_all(r"[^\p{L}\p{N}]", "")


def _one_digit_apart(a: int, b: int) -> bool:
    """Two MMSIs that differ in exactly one digit."""
    x, y = f"{a:09d}", f"{b:09d}"
    return len(x) == len(y) and sum(c != d for c, d in zip(x, y, strict=True)) == 1


@register("shared_imo", SharedImoParams, reads=(), scope="fleet",
          fleet_search=FleetSearch(candidate_vessels), event_type=EVENT_TYPE,
          details=(SHARED_IMO,))
def detect(data: DetectionInput, params: SharedImoParams) -> pl.DataFrame:
    """``identity_change`` events of subtype ``shared_imo``: one per check-digit-valid IMO and
    pair of MMSIs that broadcast it (``mmsi`` < ``other_mmsi``). ``start_time`` = when the
    second MMSI first used it, ``end_time`` = the last use by either; ``lat``/``lon`` and
    ``end_lat``/``end_lon`` = each MMSI's position nearest to ``start_time``, ``distance_km``
    between them."""
    rep = data.reports
    if rep.height == 0:
        return pl.DataFrame()
    valid = pl.Series(imo_valid_array(rep["imo"].cast(pl.Float64).to_numpy()))
    per = (
        rep.filter(valid & ~rep["imo"].is_in(list(PLACEHOLDER_IMOS)).fill_null(False))
        .sort(["mmsi", "timestamp", "source", "record"])
        .group_by(["imo", "mmsi"])
        .agg(
            pl.col("timestamp").min().alias("first_ts"),
            pl.col("timestamp").max().alias("last_ts"),
            pl.len().alias("n"),
            evidence_expr().first().alias("ev"),
            _identity_key("name").drop_nulls().first().alias("name_key"),
            _identity_key("callsign").drop_nulls().first().alias("callsign_key"),
        )
        .filter(pl.len().over("imo") <= params.max_mmsi_count)
    )
    pairs = per.join(per, on="imo", suffix="_o").filter(pl.col("mmsi") < pl.col("mmsi_o"))
    # One ship, one name and call sign, two MMSIs a digit apart: a mistyped MMSI on a second
    # transceiver (read as such on the real samples, docs/real-review.md), not two identities.
    typo = (pl.col("name_key").eq_missing(pl.col("name_key_o"))
            & pl.col("callsign_key").eq_missing(pl.col("callsign_key_o"))
            & pl.col("name_key").is_not_null()
            & pl.struct("mmsi", "mmsi_o").map_batches(
                lambda s: pl.Series([_one_digit_apart(a, b) for a, b in zip(
                    s.struct.field("mmsi").to_list(), s.struct.field("mmsi_o").to_list(),
                    strict=True)], dtype=pl.Boolean), return_dtype=pl.Boolean))
    pairs = pairs.filter(~typo)
    if pairs.height == 0:
        return pl.DataFrame()
    pairs = pairs.select(
        "mmsi",
        pl.col("mmsi_o").alias("other_mmsi"),
        pl.max_horizontal("first_ts", "first_ts_o").alias("start_time"),
        pl.max_horizontal("last_ts", "last_ts_o").alias("end_time"),
        pl.lit(SUBTYPE).alias("subtype"),
        pl.lit(None, dtype=pl.Utf8).alias("old_value"),
        pl.col("imo").cast(pl.Utf8).alias("new_value"),
        pl.concat_list(["ev", "ev_o"]).alias("evidence"),
        ((pl.col("first_ts") <= pl.col("last_ts_o")) & (pl.col("first_ts_o") <= pl.col("last_ts")))
        .alias("overlapping"),
        "imo", "first_ts", "last_ts", "first_ts_o", "last_ts_o", "n", "n_o",
    )
    pairs = nearest_position(pairs, data.tracks, time_col="start_time")
    pairs = nearest_position(
        pairs, data.tracks, time_col="start_time", mmsi_col="other_mmsi", lat_col="end_lat",
        lon_col="end_lon", nan_when_unknown=False,
    )
    events = pairs.with_columns(
        (haversine_m_expr(pl.col("lat"), pl.col("lon"), pl.col("end_lat"), pl.col("end_lon"))
         / 1000).alias("distance_km"),
        SHARED_IMO.expr(
            imo=pl.col("imo"),
            overlapping=pl.col("overlapping"),
            mmsi_first_reported=iso_expr("first_ts"),
            mmsi_last_reported=iso_expr("last_ts"),
            other_first_reported=iso_expr("first_ts_o"),
            other_last_reported=iso_expr("last_ts_o"),
            mmsi_reports=pl.col("n"),
            other_reports=pl.col("n_o"),
        ).alias("details"),
        pl.lit(EVENT_TYPE).alias("event_type"),
        hours_between("start_time", "end_time").alias("duration_h"),
    ).drop(["overlapping", "imo", "first_ts", "last_ts", "first_ts_o", "last_ts_o", "n", "n_o"])
    events = with_event_ids(events, ["subtype", "old_value", "new_value"])
    return events.sort(["mmsi", "start_time", "subtype", "event_id"])


__all__ = ["EVENT_TYPE", "SHARED_IMO", "SUBTYPE", "SharedImoParams", "candidate_vessels",
           "detect"]
