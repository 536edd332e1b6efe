"""Reject rules of the tabular readers: which rows are rejected, with which reason and detail.

The rules are checked in order and the first that holds gives the row's one reason: empty
row; MMSI (empty, bad); time (empty, bad); non-vessel record; neither position nor static
data; geometry; latitude and longitude (empty, bad). Per batch, one expression gives every
row the index of its first failing rule (null for an accepted row), in one vectorised pass
(linear in rows x rules); reasons and details are computed for the rejected rows only.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

import polars as pl

from sanctionwatch.ingest.ais.base import EARLIEST_TIME, RAW_MAX_CHARS, IngestError, latest_time
from sanctionwatch.ingest.ais.exprs import ENGINE, table_schema
from sanctionwatch.ingest.ais.layouts import KIND
from sanctionwatch.ingest.ais.plan import ReadPlan
from sanctionwatch.schema import REJECTS

REASONS = {
    "empty_row": "CSV line with every field empty.",
    "bad_row": "CSV line with the wrong number of fields (detail: expected and found).",
    "missing_field": "MMSI, time, latitude or longitude empty (or a row with neither a "
                      "position nor static data).",
    "bad_mmsi": "MMSI not an integer in 0 .. 2^30-1.",
    "bad_timestamp": "Time not in the layout's format (nor ISO 8601).",
    "impossible_time": "Time before AIS existed (1998-01-01) or after the moment of reading "
                       "plus one day (detail: the time and the cutoff).",
    "bad_encoding": "CSV line with bytes that are not text in the file's encoding (detail: "
                    "the byte and where).",
    "bad_quoting": "CSV line opening a quote that no later line closes as a row (a stray "
                   "quote): the line alone is rejected.",
    "truncated_file": "A compressed file whose stream breaks off (truncated or corrupt): the "
                      "line where it does (raw: its incomplete text).",
    "bad_coordinate": "Latitude or longitude not a number.",
    "bad_geometry": "GeoPackage geometry blob that is not a valid point.",
    "not_vessel_data": "A record of a base station, aid to navigation, SAR aircraft or a "
                       "non-vessel AIS message type.",
}
"""Reject reasons of the tabular readers (REJECTS.reason) and their meaning."""

Rule = tuple[pl.Expr, str, pl.Expr]
"""A reject rule: condition, reason and detail."""


class RejectRules:
    """The reject rules of one file (their details name its columns).

    They read the columns of a parsed batch: the targets, ``_empty``, ``_has_<core target>``
    (a value is there), ``_raw_<core target>`` (its text), ``_is_pos``, ``_has_static``,
    ``_geom_error`` and :data:`~sanctionwatch.ingest.ais.layouts.KIND`.
    """

    def __init__(self, plan: ReadPlan, latest: datetime | None = None) -> None:
        self.plan = plan
        self.latest = latest or latest_time()
        """Times after it are impossible (default: :func:`latest_time`)."""

    def _name(self, target: str) -> str:
        return "geometry" if target in self.plan.provided else self.plan.src(target)

    @cached_property
    def rules(self) -> list[Rule]:
        """The reject rules, in order."""
        name = self._name

        def bad(t: str) -> pl.Expr:
            return pl.concat_str([pl.lit(f"{name(t)}='"), pl.col(f"_raw_{t}"), pl.lit("'")])

        gpkg = self.plan.gpkg
        no_pos = pl.col("_is_pos").not_()
        pos_words = "geometry is null or empty" if gpkg else (
            f"{name('lat')} and {name('lon')} are empty")
        rules: list[Rule] = [
            (pl.col("_empty"), "empty_row", pl.lit("every field is empty")),
            (~pl.col("_has_mmsi"), "missing_field", pl.lit(f"{name('mmsi')} is empty")),
            (pl.col("mmsi").is_null(), "bad_mmsi", bad("mmsi")),
            (~pl.col("_has_timestamp"), "missing_field",
             pl.lit(f"{name('timestamp')} is empty")),
            (pl.col("timestamp").is_null(), "bad_timestamp", bad("timestamp")),
            self._impossible_time(),
            (pl.col(KIND).is_not_null(), "not_vessel_data", pl.col(KIND)),
            (no_pos & ~pl.col("_has_static"), "missing_field",
             pl.lit(f"{pos_words} and there is no static data")),
            (pl.col("_geom_error").is_not_null(), "bad_geometry", pl.col("_geom_error")),
        ]
        if not gpkg:
            for t in ("lat", "lon"):
                rules.append((~pl.col(f"_has_{t}") & ~no_pos, "missing_field",
                              pl.lit(f"{name(t)} is empty")))
            for t in ("lat", "lon"):
                rules.append((pl.col(t).is_null() & ~no_pos, "bad_coordinate", bad(t)))
        return rules

    def _impossible_time(self) -> Rule:
        us = pl.col("timestamp").dt.epoch("us")
        early = us < int(EARLIEST_TIME.timestamp() * 1_000_000)
        late = us > int(self.latest.timestamp() * 1_000_000)
        t = pl.col("timestamp").cast(pl.String)
        detail = pl.when(early).then(pl.concat_str([t, pl.lit(
            f" is before {EARLIEST_TIME:%Y-%m-%d}, when AIS did not exist")])).otherwise(
            pl.concat_str([t, pl.lit(
                f" is after the time of reading plus a day ({self.latest:%Y-%m-%dT%H:%MZ})")]))
        return early | late, "impossible_time", detail

    def rule_index(self) -> pl.Expr:
        """The index of the first reject rule that holds (its reason is the row's), null for
        an accepted row."""
        return pl.coalesce([pl.when(c).then(pl.lit(i, pl.UInt8))
                            for i, (c, _, _) in enumerate(self.rules)])

    @cached_property
    def reason_and_detail(self) -> list[pl.Expr]:
        """Reason and detail of the rejected rows (column ``_rule``) of a text parse."""
        rules = self.rules
        idx = pl.col("_rule")
        reason = idx.replace_strict({i: r[1] for i, r in enumerate(rules)}, default=None,
                                    return_dtype=pl.String)
        detail = pl.coalesce([pl.when(idx == i).then(r[2]) for i, r in enumerate(rules)])
        return [reason.alias("reason"), detail.alias("detail")]

    def rejects(self, source: str, rows: pl.DataFrame | None, rejected: pl.DataFrame | None,
                extra: pl.DataFrame | None, *, strict: bool) -> pl.DataFrame:
        """The REJECTS rows of the ``rejected`` rows (text parse) of source rows ``rows``
        (text, for ``raw``), and ``extra`` (REJECTS rows found while reading), in record
        order; raises :class:`IngestError` at the first when ``strict``."""
        if rows is not None and rejected is not None and rejected.height:
            raw = rows.select(
                pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in rows.columns],
                              separator=",").str.slice(0, RAW_MAX_CHARS).alias("raw")
            ).to_series() if rows.width else pl.Series("raw", [None] * rows.height,
                                                       dtype=pl.String)
            rej = REJECTS.conform(rejected.lazy().select(
                pl.lit(source).alias("source"), pl.col("record"), *self.reason_and_detail,
            ).collect(engine=ENGINE).with_columns(raw))
        else:
            rej = pl.DataFrame(schema=table_schema(REJECTS))
        if extra is not None and extra.height:
            rej = pl.concat([rej, REJECTS.conform(extra)], how="vertical").sort("record")
        if strict and rej.height:
            first = rej.row(0, named=True)
            raise IngestError(source, first["record"], first["reason"], first["detail"] or "")
        return rej


__all__ = ["REASONS", "RejectRules", "Rule"]
