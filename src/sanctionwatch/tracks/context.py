"""What the whole run knows that no partition of it does: when each input was listening and
where. Built once from every raw position, before any engine cuts the data, and handed to
every :class:`~sanctionwatch.detectors.DetectionInput`, so a detector that sees one MMSI range
reasons about coverage as it would on all the data.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import polars as pl

from sanctionwatch.schema import POSITIONS
from sanctionwatch.stations import station_types
from sanctionwatch.tracks.continuity import (
    SPANS_SCHEMA,
    block_index,
    input_blocks,
    with_blocks,
)
from sanctionwatch.tracks.places import (
    PLACES_SCHEMA,
    learn_places,
    places_of_stays,
    slow_mask,
    stays_sorted,
)
from sanctionwatch.tracks.prepare import (
    PreparedTracks,
    PrepareParams,
    cleaned_codes,
    mmsi_time_order,
    prepare_conforming,
    prepare_tracks,
    row_index,
)

COVERAGE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "bin_start": pl.Datetime("us", "UTC"),
    "bin_end": pl.Datetime("us", "UTC"),
    "cell_lat": pl.Int32(),
    "cell_lon": pl.Int32(),
    "cell_deg": pl.Float64(),
    "n_vessels": pl.UInt32(),
    "n_positions": pl.UInt32(),
}
"""Columns of :attr:`RunContext.coverage`."""



def ship_mmsi_expr(col: str = "mmsi") -> pl.Expr:
    """Nine-digit MMSIs with a first digit 2-7 (ITU-R M.585: a ship station's MID first).
    Coast stations, aids to navigation and SAR aircraft are heard everywhere a receiver is;
    counting them would make a silent feed look alive."""
    m = pl.col(col)
    return (m >= 200_000_000) & (m <= 799_999_999)


def valid_position_expr() -> pl.Expr:
    """Coordinates a receiver actually decoded: in range, not the 91/181 sentinel, not 0,0."""
    lat, lon = pl.col("lat"), pl.col("lon")
    return (lat.abs() <= 90) & (lon.abs() <= 180) & ~((lat == 0) & (lon == 0))


@dataclass(frozen=True)
class RunContext:
    """The run-wide facts detectors may need (see the module docstring).

    spans: per input file with positions, ``source, start, end``: its first and last valid
        time (``DetectionInput.input_spans``), and ``block``: its continuous input block
        (:func:`input_blocks`, files joined where less than ``PrepareParams.input_join_h``
        apart). Tracks, and everything built on them, never bridge two blocks.
    coverage: per input file, time bin (``bin_start`` to ``bin_end``,
        ``PrepareParams.coverage_bin_min``) and area cell (``cell_lat``/``cell_lon`` =
        floor(lat or lon / ``cell_deg``), ``PrepareParams.coverage_cell_deg``): how many
        distinct ships were heard and how many positions, from valid positions of ship MMSIs.
        Only bins and cells where something was heard have a row.
    places: berths and anchorages learnt from where many distinct ships stopped for long
        (:mod:`sanctionwatch.tracks.places`, :data:`~sanctionwatch.tracks.places.PLACES_SCHEMA`),
        from valid positions of ship MMSIs (``DetectionInput.places``).
    """

    spans: pl.DataFrame
    coverage: pl.DataFrame
    places: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PLACES_SCHEMA))

    @classmethod
    def empty(cls) -> RunContext:
        """The context of a run without positions."""
        return cls(spans=pl.DataFrame(schema=SPANS_SCHEMA),
                   coverage=pl.DataFrame(schema=COVERAGE_SCHEMA))


class ContextInputs(TypedDict, total=False):
    """:class:`RunContext` as :class:`~sanctionwatch.detectors.DetectionInput` fields."""

    input_spans: pl.DataFrame
    coverage: pl.DataFrame
    places: pl.DataFrame


def context_inputs(context: RunContext | None) -> ContextInputs:
    """``context`` as :class:`~sanctionwatch.detectors.DetectionInput` keyword arguments
    (none for None: the detectors then measure what they need on the data they see)."""
    if context is None:
        return {}
    return {"input_spans": context.spans, "coverage": context.coverage,
            "places": context.places}


def run_context(positions: pl.LazyFrame, spans: pl.DataFrame,
                params: PrepareParams | None = None) -> RunContext:
    """The :class:`RunContext` of the raw ``positions`` (POSITIONS columns, any order) of a
    run whose input files cover ``spans``. Every engine builds it from the same rows, so every
    engine gives detectors the same context."""
    p = params or PrepareParams()
    ships = positions.filter(valid_position_expr() & ship_mmsi_expr())
    return RunContext(spans=with_blocks(spans, p.input_join_h), coverage=_coverage(ships, p),
                      places=learn_places(ships, p))


def prepare_run(positions: pl.DataFrame, spans: pl.DataFrame,
                params: PrepareParams | None = None) -> tuple[RunContext, PreparedTracks]:
    """``run_context(positions.lazy(), spans, params)`` and ``prepare_tracks(positions, params,
    context.spans)``, the same frames, computed together: the positions are sorted by MMSI
    and time once for both, and the coverage is counted while they are. Hand over the only
    reference to ``positions``: its chunks are freed once copied into one."""
    p = params or PrepareParams()
    conforming = list(positions.schema.items()) == list(POSITIONS.polars_schema().items())
    if not conforming or positions.height == 0 or positions["mmsi"].null_count() \
            or positions["timestamp"].null_count():
        context = run_context(positions.lazy(), spans, p)
        return context, prepare_tracks(positions, p, context.spans)
    df = positions.rechunk() if positions.n_chunks() > 1 else positions
    del positions
    mmsi = df["mmsi"].to_numpy()
    lat, lon = df["lat"].to_numpy(), df["lon"].to_numpy()
    # the rows of ``valid_position_expr() & ship_mmsi_expr()``
    ship = ((lat <= 90) & (lat >= -90) & (lon <= 180) & (lon >= -180) & ~((lat == 0) & (lon == 0))
            & (mmsi >= 200_000_000) & (mmsi <= 799_999_999))
    spans = with_blocks(spans, p.input_join_h)
    # Three independent parts, each mostly in Polars or NumPy calls that release the GIL:
    # the coverage, the places, and the tracks (the caller's thread).
    with ThreadPoolExecutor(2) as pool:
        coverage = pool.submit(_coverage, df.lazy().filter(pl.Series(ship)), p)
        stations = station_types(df)
        t = df["timestamp"].dt.epoch("us").to_numpy()
        order = mmsi_time_order(stations[0], stations[1].size, t,
                                None if ship.all() else np.flatnonzero(ship))
        # gathered by Polars: on every core, into memory its allocator keeps for later stages
        keys = df.select("mmsi", pl.col("timestamp").dt.epoch("us"))[row_index(order)]
        m_s, t_s = keys["mmsi"].to_numpy(), keys["timestamp"].to_numpy()
        places = pool.submit(lambda: places_of_stays(
            stays_sorted(df, order, slow_mask(df["sog_knots"], p), p, m_s, t_s), p))
        prepared = prepare_conforming(cleaned_codes(df), p, spans,
                                      presorted=(order, m_s, t_s), stations=stations)
        return RunContext(spans=spans, coverage=coverage.result(),
                          places=places.result()), prepared


def _coverage(ships: pl.LazyFrame, p: PrepareParams) -> pl.DataFrame:
    """:attr:`RunContext.coverage` of the valid positions of ship MMSIs ``ships``."""
    cell = p.coverage_cell_deg
    bin_s = round(p.coverage_bin_min * 60)
    coverage = (
        ships
        .group_by(
            "source",
            pl.col("timestamp").dt.truncate(f"{bin_s}s").alias("bin_start"),
            (pl.col("lat") / cell).floor().cast(pl.Int32).alias("cell_lat"),
            (pl.col("lon") / cell).floor().cast(pl.Int32).alias("cell_lon"),
        )
        .agg(pl.col("mmsi").n_unique().cast(pl.UInt32).alias("n_vessels"),
             pl.len().cast(pl.UInt32).alias("n_positions"))
        .with_columns((pl.col("bin_start") + pl.duration(seconds=bin_s)).alias("bin_end"),
                      pl.lit(cell, dtype=pl.Float64).alias("cell_deg"))
        .sort("source", "bin_start", "cell_lat", "cell_lon")
        .collect()
    )
    return coverage.select(list(COVERAGE_SCHEMA)).cast(pl.Schema(COVERAGE_SCHEMA))


__all__ = ["COVERAGE_SCHEMA", "SPANS_SCHEMA", "RunContext", "block_index", "context_inputs",
           "input_blocks", "prepare_run", "run_context", "ship_mmsi_expr", "valid_position_expr",
           "with_blocks"]
