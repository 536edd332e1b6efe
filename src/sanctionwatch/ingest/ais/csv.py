"""CSV reader: a delimited text export (optionally gzip) streamed as canonical batches.

1. The bytes are gunzipped when they start with the gzip magic bytes (:mod:`.source`), and
   read in the declared encoding, else the one its byte order mark (UTF-8, UTF-16) or its
   zero bytes (UTF-16) show, else UTF-8. The header line gives the delimiter (the most
   frequent of ``,;\\t|``) and the column names; the layout is sniffed from them
   (:mod:`.sniff`) unless forced.
2. The text is cut into blocks of whole lines. A block that is valid UTF-8 and that
   ``pyarrow.csv`` splits into exactly one row per line (so no quoted value spans lines) is
   read by Arrow, every column as text; lines with the wrong number of fields become
   ``bad_row`` rejects and the other rows' line numbers follow from theirs
   (:func:`line_numbers`). In any other block (a bad byte, a stray or unclosed quote, a
   value over several lines) the lines that need it are read in Python
   (:func:`parse_lines`) and the others by Arrow together: a line that does not decode is a
   ``bad_encoding`` reject; a quote that is not closed on its line may close on one of the
   next :data:`MAX_RECORD_LINES` lines (a well-formed record with the header's number of
   fields, whose ``record`` is its first line), else its line alone is a ``bad_quoting``
   reject. Quoting errors never take other lines with them.
3. Per batch, the columns whose readers all parse numbers (or ISO 8601 times) are cast by
   Arrow when every value casts (:func:`cast_typed`), and the batch goes through
   :meth:`RowConverter.convert_typed`; otherwise (or if it declines) through
   :meth:`RowConverter.convert` as text. Both give the same rows.
4. Steps 2 (reading and splitting), the casts of step 3, and the conversion run as a
   pipeline of three threads, each one batch ahead of the next
   (:func:`~sanctionwatch.ingest.ais.base.prefetch`); the batches and their order are those
   of a sequential read.

A gzip stream that breaks off (truncated or corrupt) ends the file with a ``truncated_file``
reject at the line where it broke off. Memory is bounded by a few batches (those in the
pipeline); time is linear in the file size.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sanctionwatch.ingest.ais.base import (
    RAW_MAX_CHARS,
    Batch,
    FormatError,
    UnknownInput,
    prefetch,
)
from sanctionwatch.ingest.ais.convert import RowConverter
from sanctionwatch.ingest.ais.exprs import table_schema
from sanctionwatch.ingest.ais.layouts import Layout
from sanctionwatch.ingest.ais.sniff import resolve_layout
from sanctionwatch.ingest.ais.source import head_bytes, open_bytes, text_encoding, utf8_chunks
from sanctionwatch.schema import REJECTS

MAX_RECORD_LINES: Final = 20
"""Lines one quoted value may span. AIS fields (names, call signs, destinations) hold no line
breaks, so a longer span is a stray quote, not a value: its line is rejected instead of
taking the following rows with it."""
BLOCK_BYTES: Final = 4 << 20
"""Text read and checked at a time."""
_HEAD_BYTES: Final = 1 << 16

Reject = tuple[int, str, str, str]
"""A reject found while splitting lines: line, reason, detail, raw text."""


def _line_end(data: bytes) -> int:
    """Index just after the first line's end (``\\n``, ``\\r\\n`` or ``\\r``), or -1."""
    n = data.find(b"\n")
    r = data.find(b"\r", 0, n if n >= 0 else len(data))
    if r >= 0:
        return r + 2 if data[r + 1:r + 2] == b"\n" else r + 1
    return n + 1 if n >= 0 else -1


def file_encoding(path: Path, declared: str | None = None) -> tuple[str, int]:
    """The codec of a text file and the length of its byte order mark
    (:func:`~sanctionwatch.ingest.ais.source.text_encoding` of its first bytes)."""
    return text_encoding(head_bytes(path, 4096), declared)


def read_header(path: Path, encoding: str | None = None) -> tuple[list[str], str]:
    """The header's fields and the delimiter (the most frequent of ``,;\\t|`` in it)."""
    line = _header_line(path, *file_encoding(path, encoding))
    if not line.strip():
        raise UnknownInput(f"{path}: empty file or empty header line")
    delimiter = max(",;\t|", key=line.count)
    header = next(csv.reader([line], delimiter=delimiter))
    return header, delimiter


def _header_line(path: Path, codec: str, skip: int) -> str:
    fh, _ = open_bytes(path)
    with fh:
        data = b""
        for chunk in utf8_chunks(fh, codec, skip, _HEAD_BYTES):
            data += chunk
            if _line_end(data) >= 0 and not data.endswith(b"\r"):
                break
    end = _line_end(data)
    raw = data[:end] if end >= 0 else data
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{path}:1: the header is not {codec} text (byte 0x{raw[exc.start]:02X}); "
            "declare the file's encoding (--encoding)") from None


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


def line_numbers(k0: int, n: int, invalid_lines: list[int], first: int = 2) -> np.ndarray:
    """Line numbers of valid data rows k0 .. k0+n-1 (0-based among valid rows) of lines that
    each hold one row, the first at line ``first`` (the header is line 1).

    Rows that pyarrow skipped as invalid are at ``invalid_lines``. The j-th invalid line L[j]
    has L[j] - j - first valid rows before it, so valid row k is pushed down by the number of
    invalid lines with that count <= k (a binary search).
    """
    k = np.arange(k0, k0 + n, dtype=np.int64)
    if not invalid_lines:
        return k + first
    lines = np.asarray(sorted(invalid_lines), dtype=np.int64)
    before = lines - np.arange(len(lines), dtype=np.int64) - first
    return k + first + np.searchsorted(before, k, side="right")


def _count_lines(data: bytes) -> int:
    """Lines in ``data`` (``\\n``, ``\\r\\n`` and a lone ``\\r`` end one; so does its end)."""
    if not data:
        return 0
    ends = data.count(b"\n")
    if b"\r" in data:
        ends += data.count(b"\r") - data.count(b"\r\n")
    return ends + (data[-1:] not in (b"\n", b"\r"))


def _utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _last_line_closed(data: bytes, delimiter: str) -> bool:
    """Whether the last line of ``data`` ends outside quotes (it could go on otherwise)."""
    start = max(data.rfind(b"\n", 0, len(data) - 1), data.rfind(b"\r", 0, len(data) - 2)) + 1
    last = data[start:]
    if b'"' not in last:
        return True
    return _closed(last.decode("utf-8", "replace"), delimiter)


def _closed(text: str, delimiter: str) -> bool:
    try:
        next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return "unexpected end of data" not in str(exc)
    except StopIteration:
        pass
    return True


@dataclass
class Block:
    """The rows of a block of lines: a text table, their line numbers, the rejects found
    while splitting, and the lines left for the next block (an unclosed quote at its end)."""

    table: pa.Table
    records: np.ndarray
    lines: int
    """Lines of the block read (those of ``carry`` excluded)."""
    rejects: list[Reject] = field(default_factory=list)
    carry: bytes = b""


def _arrow_read(data: bytes, names: list[str], delimiter: str
                ) -> tuple[pa.Table, list[tuple[int, str, str]]] | None:
    """``data`` (valid UTF-8: the callers check it, so Arrow does not again) read by Arrow,
    every column as text, and its invalid rows (1-based physical line, detail, text); None
    when Arrow refuses it."""
    invalid: list[tuple[int, str, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append((int(row.number),
                        f"expected {row.expected_columns} fields, found {row.actual_columns}",
                        row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=max(1 << 20, len(data) + 1)),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, check_utf8=False),
        )
    except pa.ArrowInvalid:
        return None
    return table, invalid


def _arrow_block(data: bytes, first: int, names: list[str], delimiter: str) -> Block | None:
    """The block read by Arrow, or None unless it is valid UTF-8 and every line is one
    row."""
    if not _utf8(data):
        return None
    got = _arrow_read(data, names, delimiter)
    if got is None:
        return None
    table, bad = got
    n_lines = table.num_rows + len(bad)
    if b'"' in data:  # else no value can span lines: each line is one row
        if n_lines != _count_lines(data):
            return None  # a quoted value spans lines (or a quote is not closed)
        if not _last_line_closed(data, delimiter):
            return None  # the last line may go on in the next block, or never close
    invalid = [(first + k - 1, "bad_row", detail, text) for k, detail, text in bad]
    records = line_numbers(0, table.num_rows, [r[0] for r in invalid], first=first)
    return Block(table, records, n_lines, invalid)


def _encoding_reject(line: int, raw: bytes, codec: str) -> Reject:
    try:
        raw.decode("utf-8")
        bad, col = 0, 0
    except UnicodeDecodeError as exc:
        bad = raw[exc.start]
        col = len(raw[:exc.start].decode("utf-8", "replace")) + 1
    return (line, "bad_encoding",
            f"byte 0x{bad:02X} at character {col} is not {codec} text "
            "(declare the file's encoding with --encoding)",
            raw.decode("utf-8", "replace").rstrip("\r\n"))


def parse_lines(data: bytes, first: int, names: list[str], delimiter: str, final: bool,
                codec: str = "utf-8") -> Block:
    """The rows of a block of lines (the first at line ``first``) that Arrow cannot read as
    one row per line (see the module doc). Only the lines that need it are handled in
    Python (bytes that do not decode, quotes left open at the end of the line); the others
    are read by Arrow together. Falls back to :func:`python_lines` if Arrow were to read
    them otherwise than one row per line."""
    width = len(names)
    lines = data.splitlines(keepends=True)
    n = len(lines)
    valid = _utf8(data)
    quoted = b'"' in data
    special = [i for i, raw in enumerate(lines)
               if (quoted and b'"' in raw) or (not valid and not raw.isascii())]
    plain = np.ones(n, dtype=bool)
    rows: list[list[str]] = []
    records: list[int] = []
    rejects: list[Reject] = []
    carry = b""
    used = n
    done_upto = 0  # lines before it belong to a record read here
    for i in special:
        if i < done_upto:
            continue
        raw = lines[i]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            rejects.append(_encoding_reject(first + i, raw, codec))
            plain[i] = False
            continue
        if '"' not in text or _closed(text, delimiter):
            continue  # one row on its line: Arrow reads it with the others
        texts = []
        for r in lines[i:i + MAX_RECORD_LINES]:
            try:
                texts.append(r.decode("utf-8"))
            except UnicodeDecodeError:
                break
        got = _multiline(list(texts), delimiter, width)
        if got is None and not final and i + MAX_RECORD_LINES > n:
            carry = b"".join(lines[i:])
            plain[i:] = False
            used = i
            break
        if got is None:
            rejects.append((first + i, "bad_quoting",
                            "a quote opened on this line is not closed within "
                            f"{MAX_RECORD_LINES} lines as a row of {width} fields",
                            text.rstrip("\r\n")))
            plain[i] = False
            continue
        fields, span = got
        rows.append(fields)
        records.append(first + i)
        plain[i:i + span] = False
        done_upto = i + span
    at = np.flatnonzero(plain)
    got_arrow = _arrow_read(b"".join([lines[k] for k in at.tolist()]), names, delimiter)
    if got_arrow is None or got_arrow[0].num_rows + len(got_arrow[1]) != len(at):
        return python_lines(data, first, names, delimiter, final, codec)
    table, bad = got_arrow
    ok = np.ones(len(at), dtype=bool)
    for k, detail, text in bad:
        ok[k - 1] = False
        rejects.append((first + int(at[k - 1]), "bad_row", detail, text))
    rec = at[ok] + first
    if rows:
        extra = pa.table({c: pa.array(v, pa.string()) for c, v in zip(
            names, zip(*rows, strict=True), strict=True)})
        table = pa.concat_tables([table, extra])
        rec = np.concatenate([rec, np.asarray(records, dtype=np.int64)])
        order = np.argsort(rec, kind="stable")
        table, rec = table.take(pa.array(order)), rec[order]
    return Block(table, rec.astype(np.int64), used, rejects, carry)


def python_lines(data: bytes, first: int, names: list[str], delimiter: str, final: bool,
                 codec: str = "utf-8") -> Block:
    """The rows of a block of lines (the first at line ``first``) read line by line in
    Python, every line (the last resort of :func:`parse_lines`)."""
    width = len(names)
    lines = data.splitlines(keepends=True)
    rows: list[list[str]] = []
    records: list[int] = []
    rejects: list[Reject] = []
    carry = b""
    texts: list[str | None] = []
    for raw in lines:
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(None)
    i = 0
    while i < len(lines):
        line = first + i
        text = texts[i]
        if text is None:
            rejects.append(_encoding_reject(line, lines[i], codec))
            i += 1
            continue
        span = 1
        if '"' not in text:
            fields = text.rstrip("\r\n").split(delimiter)
        elif _closed(text, delimiter):
            fields = next(csv.reader([text], delimiter=delimiter, strict=False), [])
        else:
            got = _multiline(texts[i:i + MAX_RECORD_LINES], delimiter, width)
            if got is None and not final and i + MAX_RECORD_LINES > len(lines):
                carry = b"".join(lines[i:])
                break
            if got is None:
                rejects.append((line, "bad_quoting",
                                "a quote opened on this line is not closed within "
                                f"{MAX_RECORD_LINES} lines as a row of {width} fields",
                                text.rstrip("\r\n")))
                i += 1
                continue
            fields, span = got
        if len(fields) != width:
            if not text.strip("\r\n"):
                fields = [""] * width  # a blank line: a row of empty fields, as Arrow reads it
            else:
                rejects.append((line, "bad_row", f"expected {width} fields, found {len(fields)}",
                                text.rstrip("\r\n")))
                i += 1
                continue
        rows.append(fields)
        records.append(line)
        i += span
    columns = list(zip(*rows, strict=True)) if rows else [()] * width
    table = pa.table({n: pa.array(c, pa.string()) for n, c in zip(names, columns, strict=True)})
    return Block(table, np.asarray(records, dtype=np.int64), i, rejects, carry)


def _multiline(texts: list[str | None], delimiter: str, width: int
               ) -> tuple[list[str], int] | None:
    """The record starting at ``texts[0]`` when its quotes close on a later line, making a
    well-formed row of ``width`` fields: (fields, lines spanned); None otherwise."""
    ok: list[str] = []
    for t in texts:
        if t is None:
            break
        ok.append(t)
    reader = csv.reader(iter(ok), delimiter=delimiter, strict=True)
    try:
        fields = next(reader)
    except (csv.Error, StopIteration):
        return None
    if len(fields) != width or reader.line_num < 2:
        return None
    return fields, reader.line_num


def _blocks(path: Path, codec: str, skip: int, names: list[str], delimiter: str
            ) -> Iterator[Block]:
    """The blocks of the file after its header, in order (a stream that breaks off ends
    with a block holding its ``truncated_file`` reject)."""
    fh, src = open_bytes(path)
    with fh:
        chunks = utf8_chunks(fh, codec, skip, BLOCK_BYTES)
        pending = b""
        line = 1
        header_done = False
        for chunk in chunks:
            if not header_done:
                pending += chunk
                end = _line_end(pending)
                if end < 0 or (end == len(pending) and pending.endswith(b"\r")):
                    continue
                chunk, pending = pending[end:], b""
                header_done, line = True, 2
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                pending += chunk
                continue  # no whole line yet
            # one copy: the lines left over from the last chunk, then this one's whole lines
            data = b"".join((pending, memoryview(chunk)[:cut])) if pending or cut < len(
                chunk) else chunk
            block = _block(data, line, names, delimiter, False, codec)
            line += block.lines
            pending = block.carry + chunk[cut:]
            yield block
        tail = pending if header_done else b""
        if src.error is not None:
            partial = tail[tail.rfind(b"\n") + 1:] if tail else b""
            whole = tail[:len(tail) - len(partial)]
            if whole:
                block = _block(whole, line, names, delimiter, True, codec)
                line += block.lines
                yield block
            cut_off = (line, "truncated_file", f"{src.error}; line {line} is incomplete"
                       if partial else f"{src.error} after line {line - 1}",
                       partial.decode("utf-8", "replace"))
            empty = pa.table({n: pa.array([], pa.string()) for n in names})
            yield Block(empty, np.zeros(0, dtype=np.int64), 0, [cut_off])
        elif tail:
            yield _block(tail, line, names, delimiter, True, codec)


def _block(data: bytes, first: int, names: list[str], delimiter: str, final: bool,
           codec: str) -> Block:
    fast = _arrow_block(data, first, names, delimiter)
    return fast if fast is not None else parse_lines(data, first, names, delimiter, final, codec)



def read_csv(path: str | Path, *, layout: str | Layout | None = None, strict: bool = False,
             batch_rows: int = 200_000, encoding: str | None = None,
             latest: datetime | None = None) -> Iterator[Batch]:
    """Stream a CSV export (optionally gzip-compressed) as canonical batches.

    The layout is sniffed from the header unless given (a name or a :class:`Layout`).
    ``encoding`` declares the text encoding (default: detected, see the module doc).
    ``record`` is the line number in the file (header = line 1) of the row's first line.
    Rows with a bad MMSI, time or position become REJECTS rows, or raise
    :class:`IngestError` at the first one when ``strict``. ``latest``: times after it are
    impossible (default: :func:`~sanctionwatch.ingest.ais.base.latest_time`).
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be >= 1")
    p = Path(path)
    codec, skip = file_encoding(p, encoding)
    header, delimiter = read_header(p, encoding)
    names = unique_names(header)
    lay = resolve_layout(str(path), names, layout)
    conv = RowConverter(lay, names, str(path), strict=strict, latest=latest)
    return _iter_csv(p, str(path), names, delimiter, conv, batch_rows, codec, skip)


def _reject_frame(source: str, rows: list[Reject]) -> pl.DataFrame | None:
    if not rows:
        return None
    return pl.DataFrame(
        {"source": [source] * len(rows), "record": [r[0] for r in rows],
         "reason": [r[1] for r in rows], "detail": [r[2] for r in rows],
         "raw": [r[3][:RAW_MAX_CHARS] for r in rows]},
        schema=table_schema(REJECTS),
    )


@dataclass
class Rows:
    """What :func:`_batches` hands on: a table of rows (None: none) with their line numbers,
    its columns cast where they can be (:func:`cast_typed`), and the rejects and the count of
    rows (rows and rejects) of the blocks read since the last one."""

    table: pa.Table | None
    lines: np.ndarray
    cast: pa.Table | None = None
    typed: dict[str, pl.DataType] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    found: int = 0


def _batches(blocks: Iterable[Block], n: int) -> Iterator[Rows]:
    """The rows of ``blocks`` in tables of ``n`` rows (the last one shorter) with their
    line numbers; the blocks' rejects and counts go with the first table after them (a last
    item without a table holds those after the last)."""
    tables: list[pa.Table] = []
    records: list[np.ndarray] = []
    rejects: list[Reject] = []
    found = 0
    size = 0

    def rows() -> Rows:
        nonlocal rejects, found
        out = Rows(pa.concat_tables(tables), np.concatenate(records), rejects=rejects,
                   found=found)
        rejects, found = [], 0
        return out

    for block in blocks:
        found += block.table.num_rows + len(block.rejects)
        rejects.extend(block.rejects)
        table, rec = block.table, block.records
        while table.num_rows:
            take = min(n - size, table.num_rows)
            tables.append(table.slice(0, take))
            records.append(rec[:take])
            size += take
            table, rec = table.slice(take), rec[take:]
            if size == n:
                yield rows()
                tables, records, size = [], [], 0
    if size:
        yield rows()
    if rejects or found:
        yield Rows(None, np.zeros(0, dtype=np.int64), rejects=rejects, found=found)


def _cast(rows: Iterable[Rows], numeric: Sequence[str], times: Sequence[str]
          ) -> Iterator[Rows]:
    """``rows`` with their columns cast where they can be (:func:`cast_typed`)."""
    for got in rows:
        if got.table is not None:
            got.cast, got.typed = cast_typed(got.table, numeric, times)
        yield got


def _iter_csv(p: Path, source: str, names: list[str], delimiter: str, conv: RowConverter,
              batch_rows: int, codec: str, skip: int) -> Iterator[Batch]:
    pending: list[Reject] = []

    def take(upto: int | None) -> pl.DataFrame | None:
        """The rejects found so far of lines before ``upto`` (None: all), in line order."""
        pending.sort(key=lambda r: r[0])
        cut = len(pending) if upto is None else int(np.searchsorted(
            [r[0] for r in pending], upto))
        rows = pending[:cut]
        del pending[:cut]
        return _reject_frame(source, rows)

    numeric, times = conv.csv_typed_candidates()
    # Reading and splitting, and casting (Arrow), run on threads of their own, beside the
    # conversion of the batch before (Polars): a pipeline of three stages.
    batches = prefetch(_cast(prefetch(_batches(_blocks(p, codec, skip, names, delimiter),
                                               batch_rows)), numeric, times))
    # The row account's count of rows read comes from the blocks, apart from the batches'
    # own counts: a row lost between them shows as unaccounted for.
    found = 0
    emitted = 0
    for got in batches:
        found += got.found
        pending.extend(got.rejects)
        if got.table is None:
            continue
        table, lines = got.table, got.lines
        record = pl.Series("record", lines)
        extra = take(int(lines[-1]))
        out = conv.convert_typed(got.cast, record, got.typed, extra, table) if (
            got.typed and got.cast is not None) else None
        if out is None:
            df = pl.from_arrow(table)
            assert isinstance(df, pl.DataFrame)
            out = conv.convert(df, record, extra_rejects=extra)
        emitted += out.rows
        yield out
    extra = take(None)
    if extra is not None:
        empty = pl.DataFrame(schema={n: pl.String for n in names})
        out = conv.convert(empty, pl.Series("record", [], dtype=pl.Int64), extra_rejects=extra)
        emitted += out.rows
        yield out
    if found != emitted:
        lost = Batch.empty()
        lost.rows = found - emitted  # never happens; if it did, the account shows it
        yield lost


__all__ = ["BLOCK_BYTES", "MAX_RECORD_LINES", "Block", "all_iso_seconds", "cast_typed",
           "file_encoding", "line_numbers", "parse_lines", "python_lines", "read_csv",
           "read_header",
           "unique_names"]
