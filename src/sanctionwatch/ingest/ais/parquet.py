"""Parquet reader: a columnar export streamed as canonical batches (same layouts as CSV).

Numeric and timestamp columns on which the layout's parsers are exact are parsed in their
own type (:meth:`ReadPlan.typed_columns`), text columns once per distinct value (read
dictionary-encoded), so every layout parses as it parses a CSV without the number -> text ->
number round trip. Row groups of up to ``_WHOLE_GROUP`` x ``batch_rows`` rows together (one
or several consecutive ones) are read and converted at once (one query instead of several)
and then sliced into batches of at most ``batch_rows`` rows; a larger group is read batch by
batch. The file is read on a thread of its
own, one row group or batch ahead of the conversion. Memory is bounded by a few row groups
or batches; time is linear in the file size.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from sanctionwatch.ingest.ais.base import Batch, FormatError, IngestError, prefetch
from sanctionwatch.ingest.ais.convert import RowConverter, as_text
from sanctionwatch.ingest.ais.layouts import Layout
from sanctionwatch.ingest.ais.sniff import resolve_layout

_WHOLE_GROUP = 4
"""The typed path converts a row group of up to this many times ``batch_rows`` rows at once:
converting and reading it whole costs less than batch by batch."""


_ARROW_ERRORS = (pa.ArrowException, OSError, UnicodeDecodeError)
"""What pyarrow raises on a damaged file (a column name that is not UTF-8 included)."""


def read_parquet(path: str | Path, *, layout: str | Layout | None = None, strict: bool = False,
                 batch_rows: int = 200_000, latest: datetime | None = None) -> Iterator[Batch]:
    """Stream a Parquet export as canonical batches (same layouts as CSV).

    ``record`` is the 1-based row index in the file. The layout is sniffed from the column
    names unless given (a name or a :class:`Layout`). Batches hold ``batch_rows`` rows at
    most. A file Arrow cannot read (a corrupt footer or page) or a nested column where a
    layout needs a value is a :class:`FormatError` naming the file.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be >= 1")
    source = str(path)
    try:
        pf = pq.ParquetFile(source)
        schema = pf.schema_arrow
    except _ARROW_ERRORS as exc:
        raise FormatError(f"{source}: not a readable Parquet file: {exc}") from exc
    names = list(schema.names)
    lay = resolve_layout(source, names, layout)
    conv = RowConverter(lay, names, source, strict=strict, latest=latest)
    nested = [n for n in conv.plan.used if pa.types.is_nested(schema.field(n).type)]
    if nested:
        raise FormatError(f"{source}: column(s) {', '.join(nested)} hold lists or structs, "
                          f"where layout {lay.name!r} reads one value per row")
    text = conv.text_columns(schema) if conv.typed_columns(schema) else []
    if text:
        # The typed path parses text columns by distinct value: read them as dictionaries
        # (cheaper than materialising every row's string).
        pf.close()
        pf = pq.ParquetFile(source, read_dictionary=text)
    return _iter_parquet(pf, conv, batch_rows, source)


def _iter_parquet(pf: pq.ParquetFile, conv: RowConverter, batch_rows: int, source: str
                  ) -> Iterator[Batch]:
    try:
        yield from _parquet_batches(pf, conv, batch_rows)
    # a damaged dictionary page decodes into codes beyond its dictionary, which only the
    # gather of the values finds
    except (*_ARROW_ERRORS, pl.exceptions.OutOfBoundsError) as exc:
        raise FormatError(f"{source}: cannot read the Parquet data: {exc}") from exc


def _raw_parts(pf: pq.ParquetFile, typed: bool, batch_rows: int
               ) -> Iterator[tuple[bool, pa.RecordBatch | pa.Table, int]]:
    """The file's rows as read: (whether it is whole row groups to convert at once, its
    table or batch, the rows before it). Consecutive small row groups are read together up
    to ``_WHOLE_GROUP`` x ``batch_rows`` rows: writers such as DuckDB cut ~120 k-row groups,
    and each conversion has a fixed cost that many small groups would pay many times."""
    whole = _WHOLE_GROUP * batch_rows
    done = 0
    pending: list[int] = []
    pending_rows = 0
    for group in range(pf.metadata.num_row_groups + 1):
        rows = pf.metadata.row_group(group).num_rows if group < pf.metadata.num_row_groups \
            else 0
        small = group < pf.metadata.num_row_groups and typed and 0 < rows <= whole
        if pending and (not small or pending_rows + rows > whole):
            yield True, pf.read_row_groups(pending), done
            done += pending_rows
            pending, pending_rows = [], 0
        if small:
            pending.append(group)
            pending_rows += rows
        elif group < pf.metadata.num_row_groups:
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[group]):
                yield False, batch, done
                done += batch.num_rows


def _parquet_batches(pf: pq.ParquetFile, conv: RowConverter, batch_rows: int
                     ) -> Iterator[Batch]:
    typed = conv.typed_columns(pf.schema_arrow)
    # Reading (Arrow) runs on a thread of its own, beside the conversion of the rows read
    # before (Polars).
    for whole, part, done in prefetch(_raw_parts(pf, bool(typed), batch_rows)):
        if whole:
            yield from _convert_group(part, done, conv, typed, batch_rows)
        else:
            yield _convert_batch(part, done, conv, typed)


def _convert_batch(batch: pa.RecordBatch | pa.Table, done: int, conv: RowConverter,
                   typed: Mapping[str, pl.DataType]) -> Batch:
    """One batch of a Parquet file whose first row is row ``done + 1``."""
    record = pl.Series("record", np.arange(done + 1, done + batch.num_rows + 1))
    out = conv.convert_typed(batch, record, typed, text=batch) if typed else None
    return out if out is not None else conv.convert(as_text(batch), record)


def _convert_group(table: pa.Table, done: int, conv: RowConverter,
                   typed: Mapping[str, pl.DataType], batch_rows: int) -> Iterator[Batch]:
    """The batches of ``batch_rows`` rows of row groups read together whose first row is row
    ``done + 1``, converted at once (the rows of each batch found by binary search on the
    record numbers)."""
    n = table.num_rows
    saved = conv.dedup.save()
    try:
        out = conv.convert_typed(table, pl.Series("record", np.arange(done + 1, done + n + 1)),
                                 typed, text=table)
    except IngestError:
        out = None  # strict: the batches before the bad record come first, as batch by batch
    if out is None:
        conv.dedup.restore(saved)
        for k in range(0, n, batch_rows):
            yield _convert_batch(table.slice(k, batch_rows), done + k, conv, typed)
        return
    for k in range(0, n, batch_rows):
        bounds = [done + k + 1, done + min(k + batch_rows, n) + 1]
        positions, reports, rejects = [
            df.slice(a, b - a) for df in (out.positions, out.reports, out.rejects)
            for a, b in [np.searchsorted(df["record"].to_numpy(), bounds)]]
        # the group's row account goes with its first batch
        yield Batch(positions, reports, rejects, rows=out.rows if k == 0 else 0,
                    reports_only=out.reports_only if k == 0 else 0)


__all__ = ["read_parquet"]
