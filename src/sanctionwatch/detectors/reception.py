"""Was anyone listening? The receiver coverage around a silent ship during its silence.

A silence is evidence about a ship only where the feed kept hearing other ships around it
(DETECTION.md 6): when the whole feed, or every receiver of the area, was silent too, the
silence is the feed's. From the run's coverage
(:attr:`~sanctionwatch.tracks.context.RunContext.coverage`: ships and positions heard per time
bin and area cell, over every input), this module measures, for each silence, how long and how
well the area around it was heard. Used by :mod:`~sanctionwatch.detectors.ais_gap` and
:mod:`~sanctionwatch.detectors.coverage_gap`.

The area of a silence is the cell of its OFF position and of its ON position and their
neighbours (3 x 3 cells around each, longitudes wrapping at 180 degrees). A ship is counted once
per input, bin and cell, so one that crosses a cell boundary within a bin counts twice; the
silent ship itself is taken out of the bins of its OFF and ON messages.

The neighbourhood is wide so that a ship alone in its cell at sea (the typical dark ship) is
judged by the receivers around it. It can hide an outage of the ship's own area, though: when
the ship's own cell was busy before the silence and nobody was heard in it during the silence,
the receiver of that area went quiet (``cell_heard_h``, ``cell_vessels_before``).
"""

from __future__ import annotations

import polars as pl

from sanctionwatch.tracks.context import ship_mmsi_expr
from sanctionwatch.units import US_PER_H

RECEPTION_COLUMNS = ("feed_heard_h", "nearby_heard_h", "nearby_vessels",
                     "nearby_reception_per_day", "cell_heard_h", "cell_vessels_before")
"""Columns :func:`reception` adds (see its docstring)."""

_OFFSETS = pl.DataFrame({"_dy": [-1, -1, -1, 0, 0, 0, 1, 1, 1],
                         "_dx": [-1, 0, 1, -1, 0, 1, -1, 0, 1]},
                        schema={"_dy": pl.Int32, "_dx": pl.Int32})


def reception(gaps: pl.DataFrame, coverage: pl.DataFrame | None,
              before_h: float = 12.0) -> pl.DataFrame:
    """``gaps`` (silences: ``timestamp`` = OFF time, ``end_time`` = ON time, ``lat``, ``lon``,
    ``end_lat``, ``end_lon``; a null ON position for an open gap) with, from ``coverage``:

    - ``feed_heard_h``: hours of the silence in which the feed (any input, anywhere) heard
      another ship;
    - ``nearby_heard_h``: hours of it in which another ship was heard in the area;
    - ``nearby_vessels``: the median, over the silence's whole bins, of the ships heard in
      the area per bin;
    - ``nearby_reception_per_day``: positions heard in the area during those bins, per day and
      per cell (Welch et al. 2022's reception term is positions per day per 1-degree cell);
    - ``cell_heard_h``: hours of the silence in which another ship was heard in the OFF or ON
      cell itself;
    - ``cell_vessels_before``: the most ships other than this one heard in one bin of the OFF
      cell in the ``before_h`` hours before the silence (0: the cell was empty).

    A bin counts for the hours it shares with the silence. All are null without
    ``coverage`` (a :class:`~sanctionwatch.detectors.DetectionInput` built by hand).
    """
    if coverage is None or gaps.height == 0:
        return gaps.with_columns(pl.lit(None, dtype=pl.Float64).alias(c)
                                 for c in RECEPTION_COLUMNS)
    if coverage.height == 0:
        return gaps.with_columns(
            pl.lit(0.0).alias("feed_heard_h"), pl.lit(0.0).alias("nearby_heard_h"),
            pl.lit(None, dtype=pl.Float64).alias("nearby_vessels"),
            pl.lit(None, dtype=pl.Float64).alias("nearby_reception_per_day"),
            pl.lit(0.0).alias("cell_heard_h"), pl.lit(0, dtype=pl.Int64)
            .alias("cell_vessels_before"))
    cell = float(coverage["cell_deg"][0])
    bin_us = int((coverage["bin_end"][0] - coverage["bin_start"][0]).total_seconds() * 1e6)
    g = gaps.with_row_index("_g")
    area = _area_per_bin(g, coverage, cell, bin_us)
    own = _own_cell(g, coverage, cell, bin_us, round(before_h * US_PER_H))
    # Sums of whole microseconds, converted once, and ratios rounded: float sums depend on the
    # order Polars adds rows in, and its division by a constant on how a frame is chunked;
    # every engine must give the same figures to the bit.
    us = pl.col("_overlap_us")
    per_gap = area.group_by("_g").agg(
        ((us * (pl.col("_feed") >= 1)).sum() / US_PER_H).round(6).alias("feed_heard_h"),
        ((us * (pl.col("_others") >= 1)).sum() / US_PER_H).round(6).alias("nearby_heard_h"),
        pl.col("_others").filter(pl.col("_whole")).cast(pl.Float64).median()
        .alias("nearby_vessels"),
        (pl.col("_positions").filter(pl.col("_whole")).sum().cast(pl.Float64)
         / (us.filter(pl.col("_whole")).sum() / US_PER_H / 24)
         / pl.col("_n_cells").first()).round(6).alias("nearby_reception_per_day"),
    )
    out = g.join(per_gap, on="_g", how="left").join(own, on="_g", how="left").with_columns(
        pl.col("feed_heard_h").fill_null(0.0), pl.col("nearby_heard_h").fill_null(0.0),
        pl.col("nearby_reception_per_day").fill_nan(None),
        pl.col("cell_heard_h").fill_null(0.0), pl.col("cell_vessels_before").fill_null(0),
    )
    return out.sort("_g").drop("_g")


def _area_per_bin(g: pl.DataFrame, coverage: pl.DataFrame, cell: float,
                  bin_us: int) -> pl.DataFrame:
    """One row per silence (``_g``) and time bin it touches: ``_overlap_us`` (microseconds shared),
    ``_whole`` (the bin lies inside the silence and holds neither end of it),
    ``_feed``/``_others`` (other ships heard by the feed / in the area), ``_positions``
    (positions heard in the area), ``_n_cells``."""
    every = f"{bin_us}us"
    t0, t1 = pl.col("timestamp"), pl.col("end_time")
    bins = g.select(
        "_g", "timestamp", "end_time", ship_mmsi_expr().alias("_ship"),
        pl.col("end_lat").is_not_null().alias("_has_on"),
        t0.dt.truncate(every).alias("_b0"), t1.dt.truncate(every).alias("_b1"),
    ).with_columns(
        pl.datetime_ranges("_b0", "_b1", interval=every).alias("bin_start")
    ).explode("bin_start").with_columns(
        (pl.col("bin_start") + pl.duration(microseconds=bin_us)).alias("_bin_end"),
    ).with_columns(
        (pl.min_horizontal("_bin_end", t1) - pl.max_horizontal("bin_start", t0))
        .dt.total_microseconds().clip(lower_bound=0).alias("_overlap_us"),
        # the silent ship's own OFF and ON messages are heard in these bins (and counted in
        # the coverage if it is a ship station)
        (((pl.col("bin_start") == pl.col("_b0")).cast(pl.Int64)
          + ((pl.col("bin_start") == pl.col("_b1")) & pl.col("_has_on")).cast(pl.Int64))
         * pl.col("_ship").cast(pl.Int64)).alias("_own"),
    ).with_columns(
        ((pl.col("bin_start") >= t0) & (pl.col("_bin_end") <= t1) & (pl.col("_own") == 0))
        .alias("_whole"),
    ).select("_g", "bin_start", "_overlap_us", "_whole", "_own")
    cells = _area_cells(g, cell)
    n_cells = cells.group_by("_g").len("_n_cells")
    cov = coverage.group_by("bin_start", "cell_lat", "cell_lon").agg(
        pl.col("n_vessels").sum().cast(pl.Int64), pl.col("n_positions").sum().cast(pl.Int64))
    feed = cov.group_by("bin_start").agg(pl.col("n_vessels").sum().alias("_feed_v"))
    heard = (
        bins.select("_g", "bin_start").join(cells, on="_g")
        .join(cov, on=["bin_start", "cell_lat", "cell_lon"])
        .group_by("_g", "bin_start")
        .agg(pl.col("n_vessels").sum().alias("_area_v"),
             pl.col("n_positions").sum().alias("_positions"))
    )
    return (
        bins.join(heard, on=["_g", "bin_start"], how="left")
        .join(feed, on="bin_start", how="left")
        .join(n_cells, on="_g", how="left")
        .with_columns(
            (pl.col("_area_v").fill_null(0) - pl.col("_own")).clip(lower_bound=0)
            .alias("_others"),
            (pl.col("_feed_v").fill_null(0) - pl.col("_own")).clip(lower_bound=0)
            .alias("_feed"),
            pl.col("_positions").fill_null(0),
        )
    )


def _own_cell(g: pl.DataFrame, coverage: pl.DataFrame, cell: float, bin_us: int,
              before_us: int) -> pl.DataFrame:
    """Per silence (``_g``): ``cell_heard_h`` and ``cell_vessels_before`` (see
    :func:`reception`)."""
    every = f"{bin_us}us"
    cov = coverage.group_by("bin_start", "cell_lat", "cell_lon").agg(
        pl.col("n_vessels").sum().cast(pl.Int64))
    t0, t1 = pl.col("timestamp"), pl.col("end_time")
    during = g.select(
        "_g", "timestamp", "end_time", ship_mmsi_expr().alias("_ship"),
        pl.datetime_ranges(t0.dt.truncate(every), t1.dt.truncate(every), interval=every)
        .alias("bin_start"),
    ).explode("bin_start").with_columns(
        (pl.min_horizontal(pl.col("bin_start") + pl.duration(microseconds=bin_us), t1)
         - pl.max_horizontal("bin_start", t0)).dt.total_microseconds().clip(lower_bound=0)
        .alias("_us"),
        # the silent ship's own OFF / ON messages are in the first and last bins
        ((pl.col("bin_start") == t0.dt.truncate(every))
         | (pl.col("bin_start") == t1.dt.truncate(every))).alias("_edge"),
    )
    cells = _area_cells(g, cell, ring=0)
    heard = (during.join(cells, on="_g").join(cov, on=["bin_start", "cell_lat", "cell_lon"])
             .group_by("_g", "bin_start").agg(pl.col("n_vessels").sum().alias("_v")))
    during = during.join(heard, on=["_g", "bin_start"], how="left").with_columns(
        (pl.col("_v").fill_null(0) - (pl.col("_edge") & pl.col("_ship")).cast(pl.Int64))
        .alias("_others"))
    cell_heard = during.group_by("_g").agg(
        ((pl.col("_us") * (pl.col("_others") >= 1)).sum() / US_PER_H).round(6)
        .alias("cell_heard_h"))
    off = g.select("_g", "timestamp", ship_mmsi_expr().alias("_ship"),
                   (pl.col("lat") / cell).floor().cast(pl.Int32).alias("cell_lat"),
                   (pl.col("lon") / cell).floor().cast(pl.Int32).alias("cell_lon"))
    before = off.with_columns(
        pl.datetime_ranges((t0 - pl.duration(microseconds=before_us)).dt.truncate(every),
                           t0.dt.truncate(every), interval=every, closed="left")
        .alias("bin_start"),
    ).explode("bin_start").join(cov, on=["bin_start", "cell_lat", "cell_lon"])
    busy = before.group_by("_g").agg(
        (pl.col("n_vessels") - pl.col("_ship").cast(pl.Int64)).max().clip(lower_bound=0)
        .alias("cell_vessels_before"))
    return cell_heard.join(busy, on="_g", how="full", coalesce=True)


def _area_cells(g: pl.DataFrame, cell: float, ring: int = 1) -> pl.DataFrame:
    """``_g, cell_lat, cell_lon``: the cells of the OFF and ON positions and, with ``ring``
    1, their neighbours, without repeats."""
    n_lon = round(360 / cell)
    wraps = abs(n_lon * cell - 360) < 1e-9 and n_lon % 2 == 0
    ends = pl.concat([
        g.select("_g", pl.col("lat").alias("_la"), pl.col("lon").alias("_lo")),
        g.select("_g", pl.col("end_lat").alias("_la"), pl.col("end_lon").alias("_lo")),
    ]).drop_nulls().with_columns(
        (pl.col("_la") / cell).floor().cast(pl.Int32).alias("_cla"),
        (pl.col("_lo") / cell).floor().cast(pl.Int32).alias("_clo"),
    ).select("_g", "_cla", "_clo").unique()
    lon = pl.col("_clo") + pl.col("_dx")
    if wraps:
        half = n_lon // 2
        lon = (lon + half) % n_lon - half
    offsets = _OFFSETS if ring else _OFFSETS.filter((pl.col("_dy") == 0) & (pl.col("_dx") == 0))
    return ends.join(offsets, how="cross").select(
        "_g",
        (pl.col("_cla") + pl.col("_dy")).alias("cell_lat"),
        lon.cast(pl.Int32).alias("cell_lon"),
    ).unique()


__all__ = ["RECEPTION_COLUMNS", "reception"]
