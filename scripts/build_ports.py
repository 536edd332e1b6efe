"""Build ``src/sanctionwatch/data/ports.parquet`` from the World Port Index and GFW anchorages.

Maintainer script; the output is committed and the package never reads the source files. Usage::

    .venv/bin/python scripts/build_ports.py ../shared/data/ais/ref-ports-anchorages

Inputs (in the given directory): ``WPI_ports.csv`` (``iso3,label,sublabel,latitude,longitude``)
and ``anchorage_overrides.csv`` (``s2id,latitude,longitude,label,sublabel,iso3``), both from
GlobalFishingWatch/pipe-anchorages, plus ``src/sanctionwatch/data/ports_added.csv`` (hand-added
DPRK ports named by the UN Panel of Experts that the WPI lacks).

Output columns: ``name, country_iso3, lat, lon, kind ('port'|'anchorage'), source``. Rows are
sorted (ports, then anchorages; by country, name, position) so rebuilds are byte-stable.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "sanctionwatch" / "data"

# WPI rows with an empty iso3 column in the GFW copy; countries from the port names.
WPI_MISSING_ISO3 = {
    "MIDWAY ISLAND": "UMI",
    "JOHNSTON ATOLL": "UMI",
    "WAKE ISLAND": "UMI",
    "LUDERITZ BAY": "NAM",  # Namibia's code "NA" was read as missing upstream
    "WALVIS BAY": "NAM",
    "BARENTSBURG": "SJM",
    "LONGYEARBYEN": "SJM",
    "NY ALESUND": "SJM",
}
COORD_DECIMALS = 5  # about 1 m


def _finish(df: pl.DataFrame, kind: str, source: str) -> pl.DataFrame:
    return df.select(
        pl.col("name").str.strip_chars(),
        pl.col("country_iso3").str.strip_chars().str.to_uppercase(),
        pl.col("lat").str.strip_chars().cast(pl.Float64).round(COORD_DECIMALS),
        pl.col("lon").str.strip_chars().cast(pl.Float64).round(COORD_DECIMALS),
        pl.lit(kind).alias("kind"),
        pl.lit(source).alias("source"),
    )


def read_wpi(path: Path) -> pl.DataFrame:
    """World Port Index ports, with the missing ISO3 codes filled in."""
    df = pl.read_csv(path, infer_schema_length=0)
    df = df.with_columns(
        pl.coalesce(pl.col("iso3"), pl.col("label").replace_strict(
            WPI_MISSING_ISO3, default=None, return_dtype=pl.Utf8))
    )
    df = df.rename({"label": "name", "iso3": "country_iso3", "latitude": "lat",
                    "longitude": "lon"})
    return _finish(df, "port", "wpi")


def read_anchorages(path: Path) -> pl.DataFrame:
    """GFW named anchorage points (the label is the port name; sublabels are dropped)."""
    df = pl.read_csv(path, infer_schema_length=0)
    df = df.rename({"label": "name", "iso3": "country_iso3", "latitude": "lat",
                    "longitude": "lon"})
    return _finish(df, "anchorage", "gfw_anchorage")


def read_added(path: Path) -> pl.DataFrame:
    """Hand-added ports (``ports_added.csv``)."""
    df = pl.read_csv(path, infer_schema_length=0)
    kinds = set(df["kind"].to_list())
    if not kinds <= {"port", "anchorage"}:
        raise SystemExit(f"{path}: unknown kind {sorted(kinds)}")
    return pl.concat(
        [_finish(g, str(k), "hand_added") for (k,), g in df.group_by("kind", maintain_order=True)]
    )


def drop_invalid(df: pl.DataFrame) -> pl.DataFrame:
    """Drop rows without a 3-letter country code or with impossible coordinates, and report them.

    Among the GFW anchorages this removes a "REMOVE" marker at (0, 0), an unlabelled point at the
    North Pole and a TAICHUNG CITY point whose longitude repeats its latitude (it lies in Egypt).
    """
    ok = (
        pl.col("country_iso3").str.contains(r"^[A-Z]{3}$").fill_null(False)
        & pl.col("name").str.len_chars().gt(0).fill_null(False)
        & pl.col("lat").is_between(-90.0, 90.0).fill_null(False)
        & pl.col("lon").is_between(-180.0, 180.0).fill_null(False)
        & ~((pl.col("lat") == 0.0) & (pl.col("lon") == 0.0)).fill_null(False)
    )
    bad = df.filter(~ok)
    for row in bad.iter_rows(named=True):
        print(f"  dropped {row['source']}: {row}", file=sys.stderr)
    return df.filter(ok)


def main() -> None:
    """Read, clean, merge and write."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source_dir", type=Path, help="directory with WPI_ports.csv and "
                    "anchorage_overrides.csv (e.g. ../shared/data/ais/ref-ports-anchorages)")
    ap.add_argument("--added", type=Path, default=DATA / "ports_added.csv")
    ap.add_argument("--out", type=Path, default=DATA / "ports.parquet")
    args = ap.parse_args()
    t0 = time.perf_counter()

    wpi = read_wpi(args.source_dir / "WPI_ports.csv")
    anch = read_anchorages(args.source_dir / "anchorage_overrides.csv")
    added = read_added(args.added)
    ports = pl.concat([wpi, added])
    dupes = added.join(wpi, on=["name", "country_iso3"], how="inner")
    if dupes.height:
        raise SystemExit(f"hand-added ports already in the WPI: {dupes['name'].to_list()}")

    df = drop_invalid(pl.concat([ports, anch]))
    n0 = df.height
    df = df.unique(maintain_order=True)
    df = df.with_columns(pl.col("kind").replace_strict({"port": 0, "anchorage": 1},
                                                       return_dtype=pl.Int8).alias("_k"))
    df = df.sort(["_k", "country_iso3", "name", "lat", "lon"]).drop("_k")
    df = df.with_columns(pl.col(c).cast(pl.Categorical) for c in ("country_iso3", "kind",
                                                                   "source"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(args.out, compression="zstd", compression_level=19, statistics=False)

    by_kind = df.group_by("source").len().sort("source").rows()
    prk = df.filter(pl.col("country_iso3") == "PRK")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): {df.height:,} rows "
          f"({n0 - df.height} exact duplicates removed) {by_kind} in "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"DPRK: {prk.select('name', 'lat', 'lon', 'source').rows()}")


if __name__ == "__main__":
    main()
