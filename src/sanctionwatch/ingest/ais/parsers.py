"""Parsers: how the text of a source column becomes a canonical value.

A layout field (:class:`~sanctionwatch.ingest.ais.layouts.Field`) names its source column(s)
and one :class:`Parser`. The parser states everything the readers need to know about it:

- ``text``: the Polars expression from the cleaned text of the source column(s) (trimmed,
  empty = null) to the canonical value. Parsers are elementwise (a row's value depends on that
  row alone), so a reader may evaluate one once per distinct value of a column and spread the
  results back to the rows.
- ``typed`` and ``reads``: the expression on a column that already holds numbers
  (``reads="number"``: integer or Float64 columns) or timestamps (``reads="time"``: naive or
  UTC timestamps of s, ms or us). It is given only where it provably equals ``text`` on the
  text of that column's values, so a Parquet or CSV reader may skip the number -> text ->
  number round trip. ``float32``: that also holds on a Float32 column whose canonical column
  is Float32 (Float32 -> text -> Float64 -> Float32 gives the value back).
- ``keeps_ints`` / ``keeps_floats``: which typed columns ``typed`` gives back unchanged (see
  :meth:`Parser.keeps`), so that the column can be used as it is.
- ``iso_time``: ``text`` is the ISO 8601 parser alone, so a CSV column whose every value is
  ``YYYY-MM-DD[T ]HH:MM:SS`` may be cast to timestamps by Arrow instead.

Every parser is a module constant or is built by a small factory (:func:`int_in`,
:func:`time_format`, :func:`text_code`); nothing is registered anywhere. Every expression is
vectorised: linear in the rows it is evaluated on (hash lookups for code tables).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import polars as pl
import pyarrow as pa

Expr = Callable[..., pl.Expr]
"""An expression builder: one text (or typed) expression per source column -> the value."""

EXACT_FLOAT_INT = 2**53
"""Integers up to this magnitude are exact in a Float64."""

_EXACT_TIME_UNITS = ("s", "ms", "us")


@dataclass(frozen=True, eq=False)
class Parser:
    """One way of parsing a field: its text expression and its typed forms (module docstring).

    Compared and hashed by identity: the readers cache the expressions built from a layout.
    """

    text: Expr
    typed: Callable[[pl.Expr], pl.Expr] | None = None
    reads: Literal["number", "time"] | None = None
    float32: bool = False
    keeps_ints: tuple[int, int] | None = None
    keeps_floats: Literal["float32", "positive"] | None = None
    iso_time: bool = False

    def exact_on(self, atype: pa.DataType, target: pl.DataType | None) -> bool:
        """Whether :attr:`typed` gives exactly :attr:`text`'s result on a column of Arrow type
        ``atype`` (whose canonical column is ``target``)."""
        if self.reads == "number":
            if pa.types.is_integer(atype) or pa.types.is_float64(atype):
                return True
            return self.float32 and pa.types.is_float32(atype) and target == pl.Float32
        if self.reads == "time":
            return bool(pa.types.is_timestamp(atype) and atype.unit in _EXACT_TIME_UNITS
                        and atype.tz in (None, "UTC"))
        return False

    def keeps(self, col: pl.Series) -> bool:
        """Whether :attr:`typed` gives back the values of the typed column ``col`` unchanged
        (the column is already canonical): integers within :attr:`keeps_ints`; with
        ``keeps_floats="float32"`` a Float32 column without NaN (whose payload a Float32 ->
        Float64 -> Float32 round trip may change; a Float64 column costs nothing to cast);
        with ``"positive"`` a float column without NaN whose values are all above 0.
        One pass over the column (min, max, NaN test)."""
        if self.keeps_ints is not None and col.dtype.is_integer():
            lo, hi = self.keeps_ints
            low, high = col.min(), col.max()
            return low is None or (isinstance(low, int) and isinstance(high, int)
                                   and lo <= low and high <= hi)
        if self.keeps_floats == "float32" and col.dtype == pl.Float32:
            return not col.is_nan().any()
        if self.keeps_floats == "positive" and col.dtype.is_float():
            low = col.min()
            return not col.is_nan().any() and (
                low is None or (isinstance(low, float) and low > 0))
        return False


# ----------------------------------------------------------------------------- numbers


def _float(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.Float64, strict=False)


def _positive(e: pl.Expr) -> pl.Expr:
    x = _float(e)
    return pl.when(x > 0).then(x).otherwise(None)


def _decimetres(e: pl.Expr) -> pl.Expr:
    return _positive(e) / 10.0


def _dimension_sum(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    s = _float(a).fill_null(0.0) + _float(b).fill_null(0.0)
    return pl.when(s > 0).then(s).otherwise(None)


def int_series(s: pl.Series, lo: int | None = None, hi: int | None = None) -> pl.Series:
    """The integers of ``s`` (text or numbers): through Float64, so that "12.0" (exports that
    went through a float column) is 12, exact for every integer field here (all far below
    2**53); "12.5" is not an integer: null. With ``lo`` (and ``hi``), values outside lo .. hi
    are null too. An integer column whose values are all exact in a Float64 skips the round
    trip (it would give every value back). Vectorised, one pass."""
    if s.dtype.is_integer():
        low, high = s.min(), s.max()
        if not isinstance(low, int) or not isinstance(high, int):
            return s.cast(pl.Int64)  # no values
        if low >= -EXACT_FLOAT_INT and high <= EXACT_FLOAT_INT:
            x = s.cast(pl.Int64)
            if lo is None or (low >= lo and (hi is None or high <= hi)):
                return x  # no value to null (typed canonical columns)
            return _inside(x, lo, hi)
    f = s.cast(pl.Float64, strict=False)
    x = pl.select(pl.when(f == f.floor()).then(f).otherwise(None)
                  .cast(pl.Int64, strict=False)).to_series()
    return x if lo is None else _inside(x, lo, hi)


def _inside(x: pl.Series, lo: int, hi: int | None) -> pl.Series:
    """``x`` with the values outside lo .. hi null."""
    inside = x >= lo if hi is None else x.is_between(lo, hi)
    return pl.select(pl.when(inside).then(x).otherwise(None)).to_series()


def to_int(e: pl.Expr, lo: int | None = None, hi: int | None = None) -> pl.Expr:
    """:func:`int_series` as an expression. Evaluated on the materialised column: as one
    expression, the text parse under it would run once per use of the number (Polars does not
    share the common subexpressions)."""
    return e.map_batches(lambda s: int_series(s, lo, hi), return_dtype=pl.Int64,
                         is_elementwise=True)


def int_in(lo: int, hi: int) -> Parser:
    """An integer in lo .. hi (``5.0`` accepted), else null; exact on numeric columns."""

    def parse(e: pl.Expr) -> pl.Expr:
        return to_int(e, lo, hi)

    return Parser(parse, typed=parse, reads="number", keeps_ints=(lo, hi))


NUMBER = Parser(_float, typed=_float, reads="number", float32=True, keeps_floats="float32")
"""A number, kept as given (AIS "not available" values too)."""

POSITIVE = Parser(_positive, typed=_positive, reads="number", float32=True,
                  keeps_floats="positive")
"""A number above 0, else null (sizes: 0 means "not available")."""

DECIMETRES = Parser(_decimetres, typed=_decimetres, reads="number")
"""A number of decimetres above 0, in metres, else null."""

DIMENSION_SUM = Parser(_dimension_sum)
"""Two source columns (bow + stern, port + starboard) added, a missing one as 0; 0 = null."""

SHIP_TYPE = int_in(1, 32767)
"""An AIS ship type code; 0 is "not available" (ITU-R M.1371 table 53): null."""


def _imo(e: pl.Expr) -> pl.Expr:
    return to_int(e.str.to_uppercase().str.strip_prefix("IMO").str.strip_chars(" :-"), 1)


def _imo_typed(e: pl.Expr) -> pl.Expr:
    # The text parser strips '-' (a separator after an ``IMO`` prefix), so "-5" reads as 5.
    return to_int(e.abs(), 1)


IMO = Parser(_imo, typed=_imo_typed, reads="number", keeps_ints=(1, EXACT_FLOAT_INT))
"""An IMO number, an ``IMO`` prefix stripped; 0 (and any text) = null."""


# -------------------------------------------------------------------------------- text


MISSING_TOKENS = ("none", "null", "nan", "na", "n/a")
"""Texts that mean 'no value' in a required field (missing_field rather than a bad value)."""


def present(e: pl.Expr) -> pl.Expr:
    """Whether the cleaned text ``e`` holds a value: not null, not a :data:`MISSING_TOKENS`
    text."""
    return e.is_not_null() & ~e.str.to_lowercase().is_in(MISSING_TOKENS)


def nonempty(e: pl.Expr) -> pl.Expr:
    """``e``, with the empty string as null."""
    return pl.when(e.str.len_bytes() > 0).then(e).otherwise(None)


def _text(e: pl.Expr) -> pl.Expr:
    return nonempty(e.str.replace_all("@", "", literal=True).str.strip_chars())


def _upper(e: pl.Expr) -> pl.Expr:
    return _text(e).str.to_uppercase()


def _ais_class(e: pl.Expr) -> pl.Expr:
    x = e.str.to_uppercase().str.strip_prefix("CLASS").str.strip_chars()
    return pl.when(x.is_in(["A", "B"])).then(x).otherwise(None)


TEXT = Parser(_text)
"""Text, ``@`` (AIS padding) removed and trimmed; empty = null."""

UPPER = Parser(_upper)
"""As :data:`TEXT`, upper case (names, call signs, flags)."""

AIS_CLASS = Parser(_ais_class)
"""The transceiver class ``A`` or ``B`` (``Class A`` accepted), else null."""


def code_key(text: str) -> str:
    """A label as :func:`text_code` matches it: lower case, letters and digits only."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def key_expr(e: pl.Expr) -> pl.Expr:
    """:func:`code_key` as an expression."""
    return e.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")


def text_code(mapping: dict[str, int], lo: int, hi: int) -> Parser:
    """A label mapped to its code (case, spaces and punctuation ignored); an integer in
    lo .. hi passes through as the code; anything else is null."""
    keyed = {code_key(k): v for k, v in mapping.items()}
    number = int_in(lo, hi).text

    def parse(e: pl.Expr) -> pl.Expr:
        mapped = key_expr(e).replace_strict(keyed, default=None, return_dtype=pl.Int64)
        return pl.coalesce(mapped, number(e))

    return Parser(parse)


# ------------------------------------------------------------------------------- times


def _ts_typed(e: pl.Expr) -> pl.Expr:
    # Only naive or UTC timestamps of s/ms/us come here: no precision to lose.
    return e.dt.cast_time_unit("us").dt.replace_time_zone("UTC")


_UTC = pl.Datetime("us", "UTC")
_ISO_SECONDS = "%Y-%m-%dT%H:%M:%S"
_ISO = "%Y-%m-%dT%H:%M:%S%.f"
_ISO_ZONE = "%Y-%m-%dT%H:%M:%S%.f%#z"


def _first_then(s: pl.Series, first: Callable[[pl.Series], pl.Series],
                rest: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``coalesce(first(s), rest(s))`` of elementwise parsers, with ``rest`` evaluated only
    on the values that ``first`` leaves null (the fast path's misses)."""
    out = first(s)
    miss = out.is_null() & s.is_not_null()
    n_miss = int(miss.sum())
    if n_miss == 0:
        return out
    if n_miss == s.len():
        return pl.select(pl.coalesce(out, rest(s))).to_series().alias(out.name)
    at = miss.arg_true()
    return out.scatter(at, rest(s.gather(at)))


def _iso_seconds(s: pl.Series) -> pl.Series:
    # A fixed layout, which Polars parses on a fast path; what it parses, the layout with an
    # optional fraction (``%.f``) parses to the same time.
    return s.str.to_datetime(_ISO_SECONDS, strict=False, time_unit="us").dt.replace_time_zone(
        "UTC")


def _iso_naive(s: pl.Series) -> pl.Series:
    return _first_then(s, _iso_seconds, lambda rest: rest.str.to_datetime(
        _ISO, strict=False, time_unit="us").dt.replace_time_zone("UTC"))


def _iso_zoned(s: pl.Series) -> pl.Series:
    return s.str.to_datetime(_ISO_ZONE, strict=False, time_unit="us").dt.convert_time_zone(
        "UTC")


def iso_series(s: pl.Series) -> pl.Series:
    """ISO 8601 times of a text series (:data:`TIME_ISO`): ``YYYY-MM-DDTHH:MM:SS`` (a fast
    path) on every value, with a fraction only on the values it does not parse, and with an
    offset only on those neither parses."""
    t = s.str.replace(" ", "T", literal=True)
    return _first_then(t, _iso_naive, _iso_zoned)


def _ts_iso(e: pl.Expr) -> pl.Expr:
    return e.map_batches(iso_series, return_dtype=_UTC, is_elementwise=True)


TIME_ISO = Parser(_ts_iso, typed=_ts_typed, reads="time", iso_time=True)
"""An ISO 8601 time (``T`` or a space between date and time, optional fraction): naive times
are UTC, times with an offset (``Z``, ``+01:00``) are converted to UTC."""


def time_format(fmt: str) -> Parser:
    """A time in strftime format ``fmt``, naive = UTC; ISO 8601 (:data:`TIME_ISO`) is accepted
    as a fallback, tried only on the values ``fmt`` does not parse."""

    def by_format(s: pl.Series) -> pl.Series:
        return s.str.to_datetime(fmt, strict=False, time_unit="us").dt.replace_time_zone("UTC")

    def parse(e: pl.Expr) -> pl.Expr:
        return e.map_batches(lambda s: _first_then(s, by_format, iso_series),
                             return_dtype=_UTC, is_elementwise=True)

    return Parser(parse, typed=_ts_typed, reads="time")


__all__ = [
    "AIS_CLASS",
    "DECIMETRES",
    "DIMENSION_SUM",
    "IMO",
    "MISSING_TOKENS",
    "NUMBER",
    "POSITIVE",
    "SHIP_TYPE",
    "TEXT",
    "TIME_ISO",
    "UPPER",
    "Parser",
    "code_key",
    "int_in",
    "iso_series",
    "key_expr",
    "nonempty",
    "present",
    "text_code",
    "time_format",
    "to_int",
]
