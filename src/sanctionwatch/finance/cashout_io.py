"""Readers of card-authorisation logs for :mod:`.cashout`: CSV and ISO 8583-like JSON lines.

Both read the file in byte blocks cut at line ends (``block_mib``), so memory is bounded by
the block and not by the file, and both yield :class:`Batch` es of the canonical columns with
the physical line number of every row. A row that cannot be used is never dropped silently:
it becomes a reject ``(line, transaction_id, reason)``.

CSV: a header line naming at least :data:`COLUMNS` (any order, extra columns ignored), one
authorisation per line (a quoted field may not hold a line break: line numbers count physical
lines). ``timestamp`` is ISO 8601 in UTC (``2018-08-11T13:05:22Z``); ``ledger_debited`` is
``true``/``false`` (or ``1``/``0``); amounts and balances are US dollars.

JSON lines (ISO 8583-like; one JSON object a line, data elements as strings):

======================  ====================  ===============================================
canonical column        field                 mapping
======================  ====================  ===============================================
transaction_id          ``de37``              retrieval reference number
timestamp               ``de7``               transmission date-time; ISO 8601 UTC here (real
                                              DE7 is ``MMDDhhmmss`` without a year)
card_id                 ``de2``               PAN
bin                     ``de2``               first ``bin_digits`` digits of the PAN (6)
account_id              ``de102``             account identification 1
terminal_id             ``de41``              card acceptor terminal id
terminal_country        ``de43``              last two characters of the 40-character card
                                              acceptor name/location (ISO 8583:1987 country)
channel                 ``de3``               processing code: ``01....`` cash withdrawal ->
                                              ``ATM``, ``00....`` goods and services -> ``POS``,
                                              other -> ``OTHER``
amount_usd              ``de4``               amount, 12 digits in minor units (cents, USD)
response_code           ``de39``              ``00`` approved
ledger_balance_usd      ``ledger_balance_usd``  core-banking balance (not an ISO 8583 field)
ledger_debited          ``ledger_debited``    core-banking debit posted (not ISO 8583)
======================  ====================  ===============================================

Only authorisation and financial responses (``mti`` ``0110`` and ``0210``) are detections'
input; other messages (requests, reversals) are counted as skipped, not rejected.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson

COLUMNS = ("transaction_id", "timestamp", "card_id", "bin", "account_id", "terminal_id",
           "terminal_country", "channel", "amount_usd", "response_code", "ledger_balance_usd",
           "ledger_debited")
"""The columns of a CSV authorisation log."""

READ = ("transaction_id", "timestamp", "bin", "account_id", "terminal_country", "channel",
        "amount_usd", "response_code", "ledger_balance_usd", "ledger_debited")
"""The columns the rules read (``card_id`` and ``terminal_id`` are required, not read)."""

RESPONSE_MTIS = ("0110", "0210")
"""ISO 8583 message types read from JSON lines: authorisation and financial responses."""

_TYPES = {"amount_usd": pa.float64(),
          "ledger_balance_usd": pa.float64(), "ledger_debited": pa.bool_()}
_TRUE = ["1", "true", "True", "TRUE"]
_FALSE = ["0", "false", "False", "FALSE"]


class AuthLogError(ValueError):
    """An authorisation log that cannot be read at all (missing file, header, columns)."""

    def __init__(self, message: str, path: str | Path) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)


@dataclass
class Batch:
    """One block of a log: canonical rows (``ts`` in ms since the epoch, ``line``), rejects."""

    frame: pl.DataFrame
    rejects: pl.DataFrame
    skipped: int = 0
    lines: int = 0


REJECT_SCHEMA = {"line": pl.Int64, "transaction_id": pl.String, "reason": pl.String}


@dataclass
class _Blocks:
    path: Path
    block_bytes: int
    header: bytes = b""
    first_line: int = 1

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        """``(block, line of its first row)``; every block ends at a line end."""
        try:
            fh = self.path.open("rb")
        except OSError as exc:
            raise AuthLogError(f"cannot open: {exc.strerror or exc}", self.path) from exc
        with fh:
            line = self.first_line
            if self.first_line == 2:  # a CSV: the first line is the header
                self.header = fh.readline()
            carry = b""
            while True:
                data = fh.read(self.block_bytes)
                if not data:
                    if carry:
                        yield carry + b"\n", line
                    return
                buf = carry + data if carry else data
                cut = buf.rfind(b"\n")
                if cut < 0:
                    carry = buf
                    continue
                block, carry = buf[: cut + 1], buf[cut + 1:]
                yield block, line
                line += block.count(b"\n")


def read_csv_batches(path: str | Path, block_mib: float = 16.0) -> Iterator[Batch]:
    """The batches of a CSV authorisation log, in file order."""
    path = Path(path)
    blocks = _Blocks(path, max(1 << 16, int(block_mib * (1 << 20))), first_line=2)
    it = iter(blocks)
    first = next(it, None)
    names = _header(blocks.header, path)
    if first is None:
        return
    for block, line in _chain(first, it):
        yield _csv_block(block, line, names)


def _chain(first: tuple[bytes, int], rest: Iterator[tuple[bytes, int]],
           ) -> Iterator[tuple[bytes, int]]:
    yield first
    yield from rest


def _header(raw: bytes, path: Path) -> list[str]:
    if not raw.strip():
        raise AuthLogError("empty file: no header line", path)
    text = raw.decode("utf-8-sig", errors="replace").strip()
    names = [n.strip() for n in next(csv.reader([text]))]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise AuthLogError(f"header lacks column(s) {', '.join(missing)} (it has "
                           f"{', '.join(names)}); see docs/cashout.md", path)
    return names


def _csv_block(block: bytes, first_line: int, names: list[str]) -> Batch:
    bad: list[str] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(row.text)
        return "skip"

    read = pacsv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 22)
    parse = pacsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=True)
    n_lines = block.count(b"\n")
    not_utf8: set[int] = set()
    try:
        conv = pacsv.ConvertOptions(column_types={**_TYPES, **{c: pa.string() for c in READ
                                                                if c not in _TYPES}},
                                    include_columns=list(READ), true_values=_TRUE,
                                    false_values=_FALSE, strings_can_be_null=False)
        table = pacsv.read_csv(pa.py_buffer(block), read_options=read, parse_options=parse,
                               convert_options=conv)
        typed = True
    except pa.ArrowInvalid:
        bad.clear()
        conv = pacsv.ConvertOptions(column_types={c: pa.string() for c in READ},
                                    include_columns=list(READ), strings_can_be_null=False)
        try:
            table = pacsv.read_csv(pa.py_buffer(block), read_options=read,
                                   parse_options=parse, convert_options=conv)
        except pa.ArrowInvalid:  # text that is not UTF-8: blank those lines, report them
            bad.clear()
            block, not_utf8 = _blank_undecodable(block, first_line)
            table = pacsv.read_csv(pa.py_buffer(block), read_options=read,
                                   parse_options=parse, convert_options=conv)
        typed = False
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    bad_lines: list[tuple[int, str, str]] = []
    if bad or b"\n\n" in block or b"\n\r\n" in block or block[:1] in (b"\n", b"\r"):
        lines, bad_lines = _good_lines(block, first_line, len(names))
        bad_lines = [(n, t, "not UTF-8 text" if n in not_utf8 else why)
                     for n, t, why in bad_lines]
    else:
        lines = np.arange(first_line, first_line + df.height, dtype=np.int64)
    if len(lines) != df.height:  # a line break inside quotes: line numbers are approximate
        lines = np.arange(first_line, first_line + df.height, dtype=np.int64)
    df = df.with_columns(pl.Series("line", lines, dtype=pl.Int64))
    structural = pl.DataFrame(bad_lines, schema=REJECT_SCHEMA, orient="row")
    df = _with_time(_cast_strings(df) if not typed else df)
    frame, rejects = _validate(df)
    return Batch(frame, pl.concat([structural, rejects]) if bad_lines else rejects,
                 lines=n_lines)


def _blank_undecodable(block: bytes, first_line: int) -> tuple[bytes, set[int]]:
    """``block`` with every line that is not UTF-8 made blank, and those lines' numbers."""
    lines = block.split(b"\n")
    bad: set[int] = set()
    for i, raw in enumerate(lines):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            lines[i] = b""
            bad.add(first_line + i)
    return b"\n".join(lines), bad


def _good_lines(block: bytes, first_line: int, n_fields: int,
                ) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
    """Line numbers of the well-formed rows, and the other lines with the reason (only for a
    block with a bad or blank line: a Python pass over that block alone)."""
    good: list[int] = []
    bad: list[tuple[int, str, str]] = []
    text = block.decode("utf-8", errors="replace").split("\n")[:-1]
    for i, line in enumerate(text):
        if not line.strip("\r"):
            bad.append((first_line + i, "", "blank line"))
            continue
        fields = next(csv.reader([line]))
        if len(fields) == n_fields:
            good.append(first_line + i)
        else:
            bad.append((first_line + i, "",
                        f"wrong number of fields ({len(fields)}, expected {n_fields})"))
    return np.asarray(good, dtype=np.int64), bad


def _with_time(df: pl.DataFrame, column: str = "timestamp") -> pl.DataFrame:
    """``df`` with ISO 8601 text ``column`` as ``timestamp``, a UTC datetime (ms), null where
    it is not one. The exact layout ``2018-08-11T13:05:22Z`` first (fast); spaces around,
    fractions of a second and offsets only when some rows need them."""
    out = df.with_columns(pl.col(column).str.to_datetime(
        "%Y-%m-%dT%H:%M:%SZ", time_unit="ms", time_zone="UTC", strict=False).alias("_t"))
    if out["_t"].null_count() > df[column].null_count():
        t = pl.col(column).str.strip_chars()
        out = out.with_columns(pl.coalesce(
            "_t",
            t.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="ms", time_zone="UTC",
                              strict=False),
            t.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="ms", time_zone="UTC",
                              strict=False),
            t.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_unit="ms", time_zone="UTC",
                              strict=False)).alias("_t"))
    return out.drop(column).rename({"_t": "timestamp"})


def _cast_strings(df: pl.DataFrame) -> pl.DataFrame:
    """The slow path of a block with a value that does not convert: cast column by column, a
    value that does not convert becomes null and its row a reject (:func:`_validate`)."""
    return df.with_columns(
        pl.col("amount_usd").cast(pl.Float64, strict=False),
        pl.col("ledger_balance_usd").cast(pl.Float64, strict=False),
        pl.when(pl.col("ledger_debited").is_in(_TRUE)).then(True)
        .when(pl.col("ledger_debited").is_in(_FALSE)).then(False)
        .otherwise(None).alias("ledger_debited"),
    )


def _validate(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split typed rows into usable rows and rejects with the first reason that applies (the
    reasons are worked out for the bad rows only)."""
    def blank(c: str) -> pl.Expr:
        return pl.col(c).is_null() | (pl.col(c).str.len_bytes() == 0)

    checks = [
        (blank("transaction_id"), "empty transaction_id"),
        (pl.col("timestamp").is_null(), "timestamp not ISO 8601"),
        (~pl.col("bin").str.len_bytes().is_between(4, 11)
         | pl.col("bin").cast(pl.UInt64, strict=False).is_null(), "bin not 4-11 digits"),
        (blank("account_id"), "empty account_id"),
        ((pl.col("terminal_country").str.len_bytes() != 2)
         | (pl.col("terminal_country").str.to_uppercase() != pl.col("terminal_country"))
         | pl.col("terminal_country").is_null(),
         "terminal_country not an ISO 3166 alpha-2 code"),
        (blank("channel"), "empty channel"),
        (pl.col("amount_usd").is_null() | ~pl.col("amount_usd").is_finite()
         | (pl.col("amount_usd") < 0), "amount_usd not a number >= 0"),
        (blank("response_code"), "empty response_code"),
        (pl.col("ledger_balance_usd").is_null() | pl.col("ledger_balance_usd").is_nan(),
         "ledger_balance_usd not a number"),
        (pl.col("ledger_debited").is_null(), "ledger_debited not true/false"),
    ]
    bad_mask = df.select(pl.any_horizontal(*(c for c, _ in checks)).fill_null(True)
                         .alias("bad"))["bad"]
    frame_cols = [pl.col("timestamp").dt.epoch("ms").alias("ts"),
                  *(c for c in READ if c != "timestamp"), "line"]
    if not bad_mask.any():
        return df.select(frame_cols), pl.DataFrame(schema=REJECT_SCHEMA)
    bad = df.filter(bad_mask)
    reason: pl.Expr = pl.lit(None, pl.String)
    for cond, why in reversed(checks):
        reason = pl.when(cond.fill_null(True)).then(pl.lit(why)).otherwise(reason)
    rejects = bad.select("line", pl.col("transaction_id").fill_null(""),
                         reason.fill_null("unreadable row").alias("reason"))
    return df.filter(~bad_mask).select(frame_cols), rejects


_JSON_FIELDS = {"mti": pa.string(), "de2": pa.string(), "de3": pa.string(),
                "de4": pa.string(), "de7": pa.string(), "de37": pa.string(),
                "de39": pa.string(), "de41": pa.string(), "de43": pa.string(),
                "de102": pa.string(), "ledger_balance_usd": pa.float64(),
                "ledger_debited": pa.bool_()}


def read_jsonl_batches(path: str | Path, block_mib: float = 16.0,
                       bin_digits: int = 6) -> Iterator[Batch]:
    """The batches of an ISO 8583-like JSON-lines log (mapping in the module docstring)."""
    path = Path(path)
    blocks = _Blocks(path, max(1 << 16, int(block_mib * (1 << 20))), first_line=1)
    for block, line in blocks:
        yield _jsonl_block(block, line, bin_digits)


def _jsonl_block(block: bytes, first_line: int, bin_digits: int) -> Batch:
    schema = pa.schema(list(_JSON_FIELDS.items()))
    opts = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    n_lines = block.count(b"\n")
    structural: list[tuple[int, str, str]] = []
    try:
        if block.strip(b"\n \r\t") and b"\n\n" not in block and not block.startswith(b"\n"):
            table = pajson.read_json(io.BytesIO(block), parse_options=opts)
            lines = np.arange(first_line, first_line + table.num_rows, dtype=np.int64)
        else:
            raise pa.ArrowInvalid("blank lines")
    except pa.ArrowInvalid:
        # Slow path, for a block with a line that is not a JSON object of the expected types:
        # find those lines (json.loads, then Arrow line by line only if the types are wrong),
        # then parse the others together.
        table, lines, structural = _jsonl_lines(block, first_line, opts, schema)
    raw_df = pl.from_arrow(table)
    assert isinstance(raw_df, pl.DataFrame)
    raw_df = raw_df.with_columns(pl.Series("line", lines, dtype=pl.Int64))
    responses = raw_df.filter(pl.col("mti").is_in(RESPONSE_MTIS))
    skipped = raw_df.height - responses.height
    proc = pl.col("de3").str.slice(0, 2)
    df = _with_time(responses, "de7").select(
        pl.col("de37").alias("transaction_id"),
        "timestamp",
        pl.col("de2").str.slice(0, bin_digits).alias("bin"),
        pl.col("de102").alias("account_id"),
        pl.col("de43").str.strip_chars_end().str.slice(-2).alias("terminal_country"),
        pl.when(proc == "01").then(pl.lit("ATM")).when(proc == "00").then(pl.lit("POS"))
        .when(pl.col("de3").is_null()).then(None).otherwise(pl.lit("OTHER")).alias("channel"),
        (pl.col("de4").cast(pl.Int64, strict=False) / 100.0).alias("amount_usd"),
        pl.col("de39").alias("response_code"),
        "ledger_balance_usd", "ledger_debited", "line",
    )
    frame, rejects = _validate(df)
    if structural:
        rejects = pl.concat([pl.DataFrame(structural, schema=REJECT_SCHEMA, orient="row"),
                             rejects]).sort("line")
    return Batch(frame, rejects, skipped=skipped, lines=n_lines)


def _jsonl_lines(block: bytes, first_line: int, opts: pajson.ParseOptions, schema: pa.Schema,
                 ) -> tuple[pa.Table, np.ndarray, list[tuple[int, str, str]]]:
    keep: list[bytes] = []
    kept: list[int] = []
    bad: list[tuple[int, str, str]] = []
    for i, raw in enumerate(block.split(b"\n")[:-1]):
        if not raw.strip():
            bad.append((first_line + i, "", "blank line"))
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            bad.append((first_line + i, "", "invalid JSON"))
            continue
        if not isinstance(obj, dict):
            bad.append((first_line + i, "", "not a JSON object"))
            continue
        keep.append(raw)
        kept.append(first_line + i)
    try:
        table = (pajson.read_json(io.BytesIO(b"\n".join(keep) + b"\n"), parse_options=opts)
                 if keep else schema.empty_table())
    except pa.ArrowInvalid:
        typed: list[bytes] = []
        lines: list[int] = []
        for raw, line in zip(keep, kept, strict=True):
            try:
                pajson.read_json(io.BytesIO(raw), parse_options=opts)
            except pa.ArrowInvalid:
                bad.append((line, "", "a field of the wrong JSON type"))
                continue
            typed.append(raw)
            lines.append(line)
        keep, kept = typed, lines
        table = (pajson.read_json(io.BytesIO(b"\n".join(keep) + b"\n"), parse_options=opts)
                 if keep else schema.empty_table())
    return table, np.asarray(kept, dtype=np.int64), sorted(bad)


def frame_batches(df: pl.DataFrame) -> Iterator[Batch]:
    """A canonical frame already in memory (columns :data:`COLUMNS`, ``timestamp`` a UTC
    datetime) as one validated batch; ``line`` is the row number + 2 when absent."""
    if "line" not in df.columns:
        df = df.with_row_index("line", offset=2).with_columns(pl.col("line").cast(pl.Int64))
    ts = pl.col("timestamp")
    if df.schema["timestamp"] == pl.String:
        df = df.with_columns(ts.str.to_datetime(time_unit="ms", time_zone="UTC", strict=False))
    df = df.with_columns(ts.dt.cast_time_unit("ms"))
    frame, rejects = _validate(df.select(*READ, "line"))
    yield Batch(frame, rejects, lines=df.height)
