"""Vessel report dedup: a row gives a report only when its vessel's static tuple is new.

A row's static tuple (``report_cols``: IMO, name, call sign, ... and the transceiver class)
is compared with the row before of the same vessel, and a vessel's first row of a batch with
the last tuple carried over from the batches before, so the result does not depend on the
batch size. Vectorised: one stable sort of the rows by vessel (their MMSIs coded in order of
appearance; none when the rows are in MMSI order already) puts each vessel's rows together in
file order, where every row compares with the row above in one NumPy / Polars pass per
column; each vessel's first row compares with its carried tuple (a join on the vessels of
the batch). Linear in the rows (a hash table and a radix sort; O(n log n) when a batch holds
more than 65,536 vessels).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from sanctionwatch.ingest.ais.distinct import decode
from sanctionwatch.ingest.ais.exprs import table_schema
from sanctionwatch.schema import VESSEL_REPORTS

_BEFORE = "__sw_before"

State = tuple[pl.DataFrame, Any]
"""What :class:`ReportDedup` carries from batch to batch (see :meth:`ReportDedup.save`)."""


def differs(cols: Sequence[str], suffix: str = "") -> pl.Expr:
    """Whether any of ``cols`` differs (nulls equal) from its counterpart: the column shifted
    by a row, or the column named with ``suffix``."""
    def other(c: str) -> pl.Expr:
        return pl.col(c + suffix) if suffix else pl.col(c).shift(1)

    return pl.any_horizontal([pl.col(c).ne_missing(other(c)) for c in cols]) if cols else (
        pl.lit(False))


def _ascending(keys: np.ndarray) -> bool:
    """Whether ``keys`` never decrease."""
    return bool(len(keys) < 2 or (keys[1:] >= keys[:-1]).all())


def vessel_order(mmsi: np.ndarray) -> np.ndarray:
    """An order of the rows that puts each vessel's rows together, in file order within each
    (vessels in the order of their first row): the MMSIs coded by a hash table, in order of
    appearance, then a stable sort of the codes (a radix sort when they fit in 16 bits)."""
    codes = pc.dictionary_encode(pa.array(mmsi)).indices.to_numpy()
    if len(codes) and codes.max() < 1 << 16:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    return stable_order(codes)


def stable_order(keys: np.ndarray) -> np.ndarray:
    """The stable sort order of integer ``keys``."""
    shift = max(len(keys) - 1, 1).bit_length()
    if len(keys) and keys.min() >= 0 and keys.max() < 1 << (62 - shift):
        # Keys made unique by their position sort in the same order with any sort, and the
        # default (unstable) sort is cheaper than the stable one.
        return np.argsort((keys.astype(np.int64) << shift) | np.arange(len(keys)))
    return np.argsort(keys, kind="stable")


class ReportDedup:
    """Keeps the last emitted static tuple of each vessel of one file."""

    def __init__(self, report_cols: Sequence[str]) -> None:
        self.cols = list(report_cols)
        rschema = table_schema(VESSEL_REPORTS)
        self._last = pl.DataFrame(schema={c: rschema[c] for c in ["mmsi", *self.cols]})
        self._pending: tuple[pl.DataFrame, Mapping[str, pl.Series]] | None = None

    def save(self) -> State:
        """The state carried from batch to batch (the vessels' last static tuples), to go
        back to with :meth:`restore`."""
        return self._last, self._pending

    def restore(self, state: State) -> None:
        """Go back to a state returned by :meth:`save`."""
        self._last, self._pending = state

    def changed(self, rep: pl.DataFrame, coded: Mapping[str, pl.Series]) -> np.ndarray:
        """Whether each row of ``rep`` (``mmsi``, ``report_cols``, at least one row) differs
        in its static tuple from its vessel's row before (the carried tuple before its first
        row). Text columns in ``coded`` come as codes
        (:class:`~sanctionwatch.ingest.ais.distinct.DistinctValues`)."""
        self._carry()
        mmsi = rep["mmsi"].to_numpy()
        # The rows by vessel, in file order within each (none when they already are): each
        # row's row before is then the row above, unless it is its vessel's first, which
        # compares with the carried tuple.
        order = None if _ascending(mmsi) else vessel_order(mmsi)
        ms = mmsi if order is None else mmsi[order]
        start = np.ones(len(ms), dtype=bool)
        start[1:] = ms[1:] != ms[:-1]
        keep = self._changes(rep, order)
        firsts = np.flatnonzero(start)
        lasts = np.append(firsts[1:], len(ms)) - 1
        if order is not None:
            firsts_at, lasts_at = order[firsts], order[lasts]
        else:
            firsts_at, lasts_at = firsts, lasts
        keep[firsts] = self._differ(decode(rep[firsts_at], coded), self._last) if (
            self._last.height) else True
        # Each vessel's last row, carried to the next batch (spelled out when needed).
        self._pending = (rep[lasts_at], coded)
        if order is None:
            return keep
        out = np.empty(len(keep), dtype=bool)
        out[order] = keep
        return out

    def _carry(self) -> None:
        """Fold the last rows of the batch before into the carried tuples (``_last``)."""
        if self._pending is None:
            return
        rows, coded = self._pending
        self._pending = None
        latest = decode(rows.select("mmsi", *self.cols), coded)
        self._last = pl.concat([self._last.join(latest, on="mmsi", how="anti"), latest],
                               how="vertical")

    def _changes(self, rep: pl.DataFrame, order: np.ndarray | None) -> np.ndarray:
        """Whether each row of ``rep`` taken in ``order`` (None: as it is) differs in
        ``cols`` from the row above (nulls equal; the first row: any value)."""
        out = np.zeros(rep.height, dtype=bool)
        rest = []
        for c in self.cols:
            s = rep[c]
            if s.null_count() == s.len():
                continue
            if s.null_count() == 0 and (s.dtype.is_integer() or (
                    s.dtype.is_float() and not s.is_nan().any())):
                # NumPy compares as Polars does here (no nulls; no NaN, -0.0 == 0.0), at a
                # lower cost.
                v = s.to_numpy()
                if order is not None:
                    v = v[order]
                out[1:] |= v[1:] != v[:-1]
            else:
                rest.append(c)
        if rest:
            sub = rep.select(rest)
            if order is not None:
                sub = sub[order]
            out |= sub.select(differs(rest)).to_series().to_numpy()
        return out

    def _differ(self, rows: pl.DataFrame, before: pl.DataFrame) -> np.ndarray:
        """Whether each of ``rows`` differs in ``cols`` from the row of ``before`` (one row
        per MMSI) of its MMSI; an MMSI without a row differs."""
        both = rows.join(before.with_columns(pl.lit(True).alias(_BEFORE)), on="mmsi",
                         how="left", suffix=_BEFORE, maintain_order="left")
        new = pl.col(_BEFORE).is_null()
        return both.select(new | differs(self.cols, _BEFORE)).to_series().to_numpy()


__all__ = ["ReportDedup", "differs", "stable_order", "vessel_order"]
