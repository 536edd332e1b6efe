"""Identity history: the periods in which a vessel broadcast the same identity.

``identity_history(reports)`` turns static reports (``vessel_reports``) into the stored table
``vessel_identities``: one row per (MMSI, period of unchanged IMO, name, call sign, ship type
and flag), with the file and line of the period's first report. Risk indicators, dossiers and
the entity graph read identities from here rather than from the raw reports.
"""

from __future__ import annotations

import polars as pl

from sanctionwatch.ids import mid_table
from sanctionwatch.schema import VESSEL_IDENTITIES

IDENTITY_FIELDS = ("imo", "name", "callsign", "ship_type", "flag")
"""The fields whose change starts a new identity period."""


def identity_history(reports: pl.DataFrame) -> pl.DataFrame:
    """The identity periods of every MMSI in ``reports`` (``vessel_identities`` columns).

    A field a report leaves empty is filled from the same vessel's previous report, else its
    next one: a class B vessel sends its name (type 24 part A) and its call sign and type
    (part B) in separate messages, and a missing value is "not reported", not a change. An
    IMO of 0 and blank names or call signs count as empty. The flag is the one the source
    states, else the country of the MMSI's MID (``flag_source`` says which).
    """
    if reports.height == 0:
        return VESSEL_IDENTITIES.empty()
    mids = mid_table().select("mid", pl.col("iso2").alias("_mid_flag"))
    r = (
        reports.select("mmsi", "timestamp", *IDENTITY_FIELDS, "source", "record")
        .with_columns(
            pl.col("imo").cast(pl.Int64).replace(0, None),
            pl.col("name").str.strip_chars().replace("", None),
            pl.col("callsign").str.strip_chars().replace("", None),
            pl.col("flag").str.strip_chars().str.to_uppercase().replace("", None),
            pl.col("ship_type").cast(pl.Int16).replace(0, None),
            # ship MMSIs (MIDxxxxxx) only: other formats are not vessels' own flags
            pl.when(pl.col("mmsi").is_between(200_000_000, 799_999_999))
            .then(pl.col("mmsi") // 1_000_000)
            .otherwise(None)
            .alias("mid"),
        )
        .join(mids, on="mid", how="left")
        .sort("mmsi", "timestamp", "source", "record")
    )
    r = r.with_columns(
        [
            pl.col(f).forward_fill().backward_fill().over("mmsi")
            for f in ("imo", "name", "callsign", "ship_type", "flag")
        ]
    )
    r = r.with_columns(
        pl.when(pl.col("flag").is_not_null())
        .then(pl.lit("report"))
        .when(pl.col("_mid_flag").is_not_null())
        .then(pl.lit("mid"))
        .alias("flag_source"),
        pl.coalesce("flag", "_mid_flag").alias("flag"),
    )
    same = pl.col("mmsi") == pl.col("mmsi").shift(1)
    for f in IDENTITY_FIELDS:
        same = same & pl.col(f).eq_missing(pl.col(f).shift(1))
    r = r.with_columns((~same.fill_null(False)).cum_sum().alias("_period"))
    out = r.group_by("_period", maintain_order=True).agg(
        pl.col("mmsi").first(),
        pl.col("timestamp").min().alias("first_seen"),
        pl.col("timestamp").max().alias("last_seen"),
        *(pl.col(f).first() for f in IDENTITY_FIELDS),
        pl.col("flag_source").first(),
        pl.len().cast(pl.Int64).alias("n_reports"),
        pl.col("source").first(),
        pl.col("record").first(),
    )
    return VESSEL_IDENTITIES.conform(out.drop("_period"))


__all__ = ["IDENTITY_FIELDS", "identity_history"]
