"""Input continuity: which input files form one continuous stretch of time.

Files far apart in time (a 2016 file and a 2022 file) say nothing about what a ship did in
between: tracks, gaps, visits and report histories must not bridge them. A *block* is a run of
input files whose time spans overlap or abut (within ``PrepareParams.input_join_h``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.units import US_PER_H

DEFAULT_JOIN_H = 1.0
"""Default ``PrepareParams.input_join_h``: consecutive daily or hourly files abut within
minutes."""

SPANS_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "block": pl.Int32(),
}
"""Columns of :attr:`~sanctionwatch.tracks.context.RunContext.spans`."""


def with_blocks(spans: pl.DataFrame, join_h: float) -> pl.DataFrame:
    """``spans`` (``source, start, end``) with ``block``: the index, in time order, of the
    continuous input block each file belongs to. A block starts where a file begins more than
    ``join_h`` after every earlier file has ended (consecutive daily or hourly files abut
    within minutes; files of different days, months or years do not)."""
    base = spans.select("source", "start", "end").cast(
        pl.Schema({k: v for k, v in SPANS_SCHEMA.items() if k != "block"}))
    if base.height == 0:
        return base.with_columns(pl.lit(None, dtype=pl.Int32).alias("block"))
    join = pl.duration(microseconds=round(join_h * US_PER_H))
    order = base.with_row_index("_i").sort("start", "end", "source")
    order = order.with_columns(pl.col("end").cum_max().shift(1).alias("_prev_end")).with_columns(
        ((pl.col("_prev_end").is_null() | (pl.col("start") > pl.col("_prev_end") + join))
         .cum_sum() - 1).cast(pl.Int32).alias("block")
    )
    return order.sort("_i").select(*SPANS_SCHEMA)


def input_blocks(spans: pl.DataFrame, join_h: float) -> pl.DataFrame:
    """The continuous input blocks of ``spans``: ``block, start, end`` in time order (the
    ``block`` column of ``spans`` when it has one, else :func:`with_blocks` with ``join_h``)."""
    if "block" not in spans.columns or spans["block"].null_count():
        spans = with_blocks(spans, join_h)
    return (spans.group_by("block").agg(pl.col("start").min(), pl.col("end").max())
            .sort("block"))


def block_index(times: pl.Series, blocks: pl.DataFrame) -> npt.NDArray[np.int64]:
    """For each time, the index of the input block (of :func:`input_blocks`) it falls in:
    the last block starting at or before it (0 before the first). Comparing the block of
    two times tells whether they are in one continuous stretch of input."""
    starts = blocks["start"].dt.epoch("us").to_numpy()
    t = times.cast(pl.Datetime("us", "UTC")).dt.epoch("us").to_numpy()
    idx = np.searchsorted(starts, t, side="right") - 1
    return np.asarray(np.maximum(idx, 0), dtype=np.int64)


def blocks_of(times: pl.Series, spans: pl.DataFrame | None) -> pl.Series:
    """The input block of each time (:func:`block_index`) under the run's ``spans``
    (``DetectionInput.input_spans``; files joined per their ``block`` column, else by
    :data:`DEFAULT_JOIN_H`); all 0 without spans. For detectors that compare reports of one
    MMSI over time: two reports in different blocks are separated by a break in the input."""
    if spans is None or spans.height == 0:
        return pl.Series("_block", [0] * times.len(), dtype=pl.Int64)
    return pl.Series("_block", block_index(times, input_blocks(spans, DEFAULT_JOIN_H)),
                     dtype=pl.Int64)


__all__ = ["DEFAULT_JOIN_H", "SPANS_SCHEMA", "block_index", "blocks_of", "input_blocks",
           "with_blocks"]
