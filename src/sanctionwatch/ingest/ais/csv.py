"""CSV reader: a delimited text export (optionally gzip) streamed as canonical batches.

1. The header line gives the delimiter (the most frequent of ``,;\\t|``) and the column
   names; the layout is sniffed from them (:mod:`.sniff`) unless forced.
2. ``pyarrow.csv.open_csv`` streams the file single-threaded with every column as text, in
   blocks regrouped into batches of ``batch_rows`` rows. Lines with the wrong number of
   fields are skipped by Arrow and become ``bad_row`` rejects; file line numbers of the
   other rows are recovered from the skipped lines' numbers (:func:`line_numbers`).
3. Per batch, the columns whose readers all parse numbers (or ISO 8601 times) are cast by
   Arrow when every value casts (:func:`cast_typed`), and the batch goes through
   :meth:`RowConverter.convert_typed`; otherwise (or if it declines) through
   :meth:`RowConverter.convert` as text. Both give the same rows.

Memory is bounded by one batch; time is linear in the file size.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sanctionwatch.ingest.ais.base import RAW_MAX_CHARS, Batch, FormatError
from sanctionwatch.ingest.ais.convert import RowConverter
from sanctionwatch.ingest.ais.exprs import table_schema
from sanctionwatch.ingest.ais.layouts import Layout
from sanctionwatch.ingest.ais.sniff import resolve_layout
from sanctionwatch.schema import REJECTS


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_text(path: Path) -> io.TextIOBase:
    if _is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def read_header(path: Path) -> tuple[list[str], str]:
    """The header's fields and the delimiter (the most frequent of ``,;\\t|`` in it)."""
    with _open_text(path) as fh:
        line = fh.readline()
    if not line.strip():
        raise FormatError(f"{path}: empty file or empty header line")
    delimiter = max(",;\t|", key=line.count)
    header = next(csv.reader([line], delimiter=delimiter))
    return header, delimiter


def unique_names(header: Sequence[str]) -> list[str]:
    """Column names as given, with unnamed columns named `_colN` and duplicates suffixed."""
    out: list[str] = []
    seen: set[str] = set()
    for i, h in enumerate(header):
        name = h.strip() or f"_col{i}"
        while name in seen:
            name += "_dup"
        seen.add(name)
        out.append(name)
    return out


def _rebatch(batches: Iterable[pa.RecordBatch], n: int) -> Iterator[pa.Table]:
    """The rows of ``batches`` in tables of ``n`` rows (the last one shorter); zero-copy
    slices."""
    buf: list[pa.RecordBatch] = []
    size = 0
    for b in batches:
        while b.num_rows:
            take = min(n - size, b.num_rows)
            buf.append(b.slice(0, take))
            size += take
            b = b.slice(take)
            if size == n:
                yield pa.Table.from_batches(buf)
                buf, size = [], 0
    if size:
        yield pa.Table.from_batches(buf)


ISO_SECONDS = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}$"
_ISO_DIGITS = [i for i, c in enumerate("dddd-dd-dd dd:dd:dd") if c == "d"]


def all_iso_seconds(arr: pa.ChunkedArray) -> bool:
    """Whether every value of a text column matches :data:`ISO_SECONDS` (nulls aside).

    Without nulls, the values of 19 bytes each are the rows of a byte matrix, checked
    column by column with NumPy instead of running the regular expression on each value."""
    for chunk in arr.chunks:
        if chunk.null_count or not pa.types.is_string(chunk.type):
            if not pc.all(pc.match_substring_regex(chunk, ISO_SECONDS)).as_py():
                return False
            continue
        _, offsets, data = chunk.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int32)[chunk.offset:][:len(chunk) + 1]
        if len(chunk) == 0:
            continue
        if not (np.diff(bounds) == 19).all():
            return False
        text = np.frombuffer(data, dtype=np.uint8)[bounds[0]:bounds[-1]].reshape(-1, 19)
        if not (((text[:, _ISO_DIGITS] - ord("0")) < 10).all()
                and (text[:, [4, 7]] == ord("-")).all() and (text[:, [13, 16]] == ord(":")).all()
                and np.isin(text[:, 10], [ord("T"), ord(" ")]).all()):
            return False
    return True


def cast_typed(table: pa.Table, numeric: Sequence[str], times: Sequence[str]
               ) -> tuple[pa.Table, dict[str, pl.DataType]]:
    """Cast the text columns of one CSV batch that can be parsed typed.

    A column is cast only when every value casts (strict Arrow casts; an empty field becomes
    null), so that its typed parse provably equals the text parse:

    - ``numeric``: Arrow's and Polars' decimal parsers both round correctly and accept the
      same numbers; their spellings of NaN differ (``nan(1)``), so a column holding a NaN
      stays text. Fields like " 1" (which the text path strips) fail the cast: text.
    - ``times``: only when every value is exactly ``YYYY-MM-DD[T ]HH:MM:SS``, on which
      Arrow's ISO 8601 cast and the text path's ``%Y-%m-%dT%H:%M:%S%.f`` agree (a value that
      Arrow refuses, e.g. 24:00:00 or a leap second, leaves the column text).
    """
    typed: dict[str, pl.DataType] = {}
    null = pa.scalar(None, pa.string())
    for name in [*numeric, *times]:
        arr = table.column(name)
        empty = pc.equal(arr, "")
        if pc.any(empty).as_py():
            arr = pc.if_else(empty, null, arr)
        try:
            if name in times:
                if not all_iso_seconds(arr):
                    continue
                out = pc.cast(arr, pa.timestamp("s"))
                dtype: pl.DataType = pl.Datetime("ms")
            else:
                out = pc.cast(arr, pa.float64())
                if pc.any(pc.is_nan(out)).as_py():
                    continue
                dtype = pl.Float64()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        table = table.set_column(table.schema.get_field_index(name), name, out)
        typed[name] = dtype
    return table, typed


def line_numbers(k0: int, n: int, invalid_lines: list[int]) -> np.ndarray:
    """File line numbers of valid data rows k0 .. k0+n-1 (0-based among valid rows).

    The header is line 1; rows that pyarrow skipped as invalid are at ``invalid_lines``.
    The j-th invalid line L[j] has L[j] - j - 2 valid rows before it, so valid row k is
    pushed down by the number of invalid lines with that count <= k (a binary search).
    """
    k = np.arange(k0, k0 + n, dtype=np.int64)
    if not invalid_lines:
        return k + 2
    lines = np.asarray(sorted(invalid_lines), dtype=np.int64)
    before = lines - np.arange(len(lines), dtype=np.int64) - 2
    return k + 2 + np.searchsorted(before, k, side="right")


def read_csv(path: str | Path, *, layout: str | Layout | None = None, strict: bool = False,
             batch_rows: int = 200_000) -> Iterator[Batch]:
    """Stream a CSV export (optionally gzip-compressed) as canonical batches.

    The layout is sniffed from the header unless given (a name or a :class:`Layout`).
    ``record`` is the line number in the file (header = line 1). Rows with a bad MMSI, time
    or position become REJECTS rows, or raise :class:`IngestError` at the first one when
    ``strict``.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be >= 1")
    p = Path(path)
    header, delimiter = read_header(p)
    names = unique_names(header)
    lay = resolve_layout(str(path), names, layout)
    conv = RowConverter(lay, names, str(path), strict=strict)
    return _iter_csv(p, str(path), names, delimiter, conv, batch_rows)


def _iter_csv(p: Path, source: str, names: list[str], delimiter: str, conv: RowConverter,
              batch_rows: int) -> Iterator[Batch]:
    invalid: list[tuple[int, str, str]] = []
    invalid_lines: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # Reading is single-threaded, so pyarrow knows the physical line number.
        invalid_lines.append(int(row.number))
        invalid.append((int(row.number),
                        f"expected {row.expected_columns} fields, found {row.actual_columns}",
                        row.text))
        return "skip"

    stream = pa.input_stream(str(p), compression="gzip" if _is_gzip(p) else None)
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False,
                                       block_size=4 << 20),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False),
    )
    done = 0
    emitted = 0

    def take_invalid(upto: int | None) -> pl.DataFrame | None:
        """The ``bad_row`` rejects not yet emitted, of lines before ``upto`` (None: all)."""
        nonlocal emitted
        rows = [r for r in invalid[emitted:] if upto is None or r[0] < upto]
        emitted += len(rows)
        if not rows:
            return None
        return pl.DataFrame(
            {"source": [source] * len(rows), "record": [r[0] for r in rows],
             "reason": ["bad_row"] * len(rows), "detail": [r[1] for r in rows],
             "raw": [r[2][:RAW_MAX_CHARS] for r in rows]},
            schema=table_schema(REJECTS),
        )

    numeric, times = conv.csv_typed_candidates()
    try:
        for table in _rebatch(reader, batch_rows):
            lines = line_numbers(done, table.num_rows, invalid_lines)
            record = pl.Series("record", lines)
            done += table.num_rows
            extra = take_invalid(int(lines[-1]))
            cast, typed = cast_typed(table, numeric, times)
            out = conv.convert_typed(cast, record, typed, extra, table) if typed else None
            if out is None:
                df = pl.from_arrow(table)
                assert isinstance(df, pl.DataFrame)
                out = conv.convert(df, record, extra_rejects=extra)
            yield out
    except pa.ArrowInvalid as exc:
        raise FormatError(f"{source}: cannot parse as CSV: {exc}") from exc
    extra = take_invalid(None)
    if extra is not None:
        empty = pl.DataFrame(schema={n: pl.String for n in names})
        yield conv.convert(empty, pl.Series("record", [], dtype=pl.Int64), extra_rejects=extra)


__all__ = ["all_iso_seconds", "cast_typed", "line_numbers", "read_csv", "read_header",
           "unique_names"]
