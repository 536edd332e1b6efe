"""Writers: MarineCadastre CSV, NMEA 0183 with tag blocks, canonical Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from sanctionwatch.schema import VESSEL_REPORTS

FORMATS = ("marinecadastre", "nmea", "parquet")
MC_COLUMNS = ("MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO",
              "CallSign", "VesselType", "Status", "Length", "Width", "Draft", "Cargo",
              "TransceiverClass")


def _static_per_row(positions: pl.DataFrame, reports: pl.DataFrame) -> pl.DataFrame:
    """Each position with the vessel's latest static report at or before it."""
    rep = reports.sort("timestamp").select(
        pl.col("mmsi").alias("_m"), pl.col("timestamp").alias("_rt"), "imo", "name", "callsign",
        "ship_type", "draught_m", "length_m", "width_m")
    return positions.sort("timestamp").join_asof(
        rep, left_on="timestamp", right_on="_rt", by_left="mmsi", by_right="_m",
        strategy="backward", check_sortedness=False)


def write_marinecadastre(positions: pl.DataFrame, reports: pl.DataFrame, path: Path,
                         corrupt: int, rng: np.random.Generator) -> int:
    """MarineCadastre CSV (17 columns, static columns on every row) plus ``corrupt``
    malformed rows the reader must reject. Returns the number of rows written."""
    df = _static_per_row(positions, reports).sort(["timestamp", "mmsi", "lat"])
    out = df.select(
        pl.col("mmsi").alias("MMSI"),
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S").alias("BaseDateTime"),
        pl.col("lat").round(5).alias("LAT"),
        pl.col("lon").round(5).alias("LON"),
        pl.col("sog_knots").round(1).alias("SOG"),
        pl.col("cog_deg").round(1).alias("COG"),
        pl.col("heading_deg").round(0).cast(pl.Int64).alias("Heading"),
        pl.col("name").fill_null("").alias("VesselName"),
        pl.when(pl.col("imo").is_not_null()).then(pl.format("IMO{}", pl.col("imo")))
        .otherwise(pl.lit("")).alias("IMO"),
        pl.col("callsign").fill_null("").alias("CallSign"),
        pl.col("ship_type").fill_null(0).alias("VesselType"),
        pl.col("nav_status").alias("Status"),
        pl.col("length_m").round(0).cast(pl.Int64).alias("Length"),
        pl.col("width_m").round(0).cast(pl.Int64).alias("Width"),
        pl.col("draught_m").round(1).alias("Draft"),
        pl.col("ship_type").fill_null(0).alias("Cargo"),
        pl.col("ais_class").alias("TransceiverClass"),
    ).with_columns(pl.all().cast(pl.Utf8))
    lines = out.write_csv(include_header=False).splitlines()
    bad_at = sorted(rng.choice(len(lines), size=min(corrupt, len(lines)), replace=False).tolist())
    for k, i in enumerate(reversed(bad_at)):  # malformed: truncated row / non-numeric latitude
        f = lines[i].split(",")
        bad = ",".join(f[:5]) if k % 2 else ",".join([f[0], f[1], "4O.1x", *f[3:]])
        lines.insert(i, bad)
    path.write_text(",".join(MC_COLUMNS) + "\n" + "\n".join(lines) + "\n")
    return len(lines)


def write_parquet(positions: pl.DataFrame, reports: pl.DataFrame, path: Path) -> int:
    """One canonical-layout Parquet file: POSITIONS columns with the static VESSEL_REPORTS
    columns (incl. ``destination`` and ``flag``) of the latest report on every row."""
    rep = reports.sort("timestamp").select(
        pl.col("mmsi").alias("_m"), pl.col("timestamp").alias("_rt"),
        *[c for c in VESSEL_REPORTS.names if c not in ("mmsi", "timestamp", "source", "record",
                                                        "ais_class")])
    df = positions.sort("timestamp").join_asof(
        rep, left_on="timestamp", right_on="_rt", by_left="mmsi", by_right="_m",
        strategy="backward", check_sortedness=False)
    df = df.drop([c for c in ("_rt", "_m", "source", "record") if c in df.columns])
    df.sort(["timestamp", "mmsi", "lat"]).write_parquet(path)
    return df.height
