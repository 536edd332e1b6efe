"""Parsing text columns once per distinct value (the typed path's text columns).

Text columns repeat few values (names, call signs, classes over a vessel's many positions).
Parsers are elementwise, so parsing each distinct value once and gathering the results back
by the column's dictionary codes gives what parsing every row gives: a column of ``n`` rows
with ``k`` distinct values costs one dictionary encoding (O(n)), ``k`` parses and one gather
(O(n)). Fields parsed to text stay codes into their distinct parsed texts: rows compare by
code, and only the rows emitted are spelled out (:func:`decode`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from sanctionwatch.ingest.ais.exprs import ENGINE, HAS, PRE, VALUE, cached
from sanctionwatch.ingest.ais.layouts import Field
from sanctionwatch.ingest.ais.parsers import nonempty, present

Parsed = list[tuple[str, pl.Series, pl.Series | None]]
"""Per field reading a column: its target, and its values, or (text fields) its distinct
texts and the code of each distinct value of the column in them; for a core column first
``HAS`` and whether each distinct value holds a value."""


def dictionary(arr: pa.Array | pa.ChunkedArray) -> tuple[pl.Series, pa.Array]:
    """Codes (null for null) and distinct values of a text column."""
    if isinstance(arr, pa.ChunkedArray) and arr.num_chunks == 1:
        arr = arr.chunk(0)
    if isinstance(arr, pa.ChunkedArray):
        if pa.types.is_dictionary(arr.type):
            # chunks (row groups read together) have dictionaries of their own: one shared
            # dictionary, in order of first appearance, without spelling out every row
            arr = arr.unify_dictionaries()
        arr = arr.combine_chunks()
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    return pl.Series(arr.indices), arr.dictionary


def spell(values: pl.Series, codes: pl.Series) -> pl.Series:
    """The texts of ``codes`` (null for null) in their distinct ``values``."""
    if values.len() == 1 and not codes.has_nulls():
        return values.new_from_index(0, codes.len())  # one text: no gather
    return values.gather(codes)


def decode(df: pl.DataFrame, coded: Mapping[str, pl.Series]) -> pl.DataFrame:
    """``df`` with its coded text columns (:meth:`DistinctValues.parse`) spelled out."""
    cols = [spell(coded[c], df[c]).alias(c) for c in df.columns if c in coded]
    return df.with_columns(cols) if cols else df


def _value_stages(fields: Sequence[Field], has: str | None = None
                  ) -> tuple[pl.Expr, list[pl.Expr]]:
    """Cleaning and parsing of a text column's distinct values (column ``VALUE``) into the
    fields that read it (columns ``PRE + target``), and with ``has`` (a core column's name)
    whether each holds a value (column ``HAS + has``, last)."""
    clean = nonempty(pl.col(VALUE).cast(pl.String).str.strip_chars()).alias(VALUE)
    parse = [f.parser.text(pl.col(VALUE)).alias(PRE + f.target) for f in fields]
    if has is not None:
        parse.append(present(pl.col(VALUE)).alias(HAS + has))
    return clean, parse


class DistinctValues:
    """Parses the text columns of one file's batches by distinct value.

    ``readers``: the fields reading each column (single-source fields only). ``core``: the
    columns of core fields, for which :meth:`parse` also gives whether each row holds a value
    (``HAS + name``: not empty, not a missing token). The parse of a column's distinct values
    is kept until its dictionary changes: the batches of a Parquet row group share one.
    """

    def __init__(self, readers: Mapping[str, list[Field]], core: Iterable[str] = ()) -> None:
        self._readers = readers
        self._core = frozenset(core)
        self._values: dict[str, tuple[pa.Array, Parsed]] = {}

    def parse(self, batch: pa.RecordBatch | pa.Table, names: Iterable[str]
              ) -> tuple[list[pl.Series], dict[str, pl.Series]]:
        """The fields read from the text columns ``names`` of ``batch``, one series per
        field (named ``PRE + target``; for a core column also ``HAS + name``), and the
        distinct texts of the text fields by target (their series hold codes into them)."""
        out: list[pl.Series] = []
        coded: dict[str, pl.Series] = {}
        for name in names:
            codes, values = dictionary(batch.column(name))
            last = self._values.get(name)
            if last is None or not last[0].equals(values):
                last = self._values[name] = (values, self._parse_values(name, values))
            for target, parsed, recode in last[1]:
                if target == HAS:
                    out.append(parsed.gather(codes).fill_null(False))
                    continue
                if recode is None:
                    out.append(parsed.gather(codes))
                    continue
                # Empty codes: the column's codes serve as they are.
                out.append((recode.gather(codes) if recode.len() else codes)
                           .alias(PRE + target))
                coded[target] = parsed
        return out, coded

    def _parse_values(self, name: str, values: pa.Array) -> Parsed:
        """The fields reading text column ``name`` on its distinct ``values``: per field its
        target, and its values, or (text fields) its distinct texts and the code of each of
        ``values`` in them (empty when distinct values parse to distinct texts)."""
        fields = tuple(self._readers[name])
        has = name if name in self._core else None
        clean, parse = cached(("value", fields, has), partial(_value_stages, fields, has))
        # One chunk: a gather from a chunked column first finds each index's chunk.
        parsed = (pl.DataFrame({VALUE: pl.Series(values)}).lazy().select(clean).select(parse)
                  .collect(engine=ENGINE).rechunk())
        out: Parsed = []
        if has is not None:
            out.append((HAS, parsed.to_series(len(fields)), None))
        for f, s in zip(fields, parsed.iter_columns(), strict=False):
            if s.dtype != pl.String:
                out.append((f.target, s, None))
            elif s.null_count() == 0 and s.n_unique() == s.len():
                out.append((f.target, s, pl.Series([], dtype=pl.Int32)))
            else:
                # Values parsing to the same text (" abc", "ABC") share a code.
                enc = pc.dictionary_encode(s.to_arrow())
                out.append((f.target, pl.Series(enc.dictionary), pl.Series(enc.indices)))
        return out


__all__ = ["DistinctValues", "decode", "dictionary", "spell"]
