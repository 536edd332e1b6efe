"""Conversion of a tabular file's raw columns into canonical positions, vessel reports and
rejects, batch by batch (used by the CSV, Parquet and GeoPackage readers).

Per batch, three stages of Polars expressions, built once per file (:class:`ReadPlan`):

1. parse every field of the layout (its parser's text expression on the cleaned text, or its
   typed form on a numeric or timestamp column), and note which core values are present;
2. flag rows with static data and rows with a position;
3. give each row the index of its first failing reject rule (:mod:`.rules`).

Then accepted rows with a position become POSITIONS rows, accepted rows with static data go
through the report dedup (:mod:`.dedup`), and rejected rows get their reason and detail from
their text. All vectorised: one pass per stage over the batch, no per-row Python.

Two paths give the same rows. :meth:`RowConverter.convert` parses every column as text.
:meth:`RowConverter.convert_typed` takes numeric and timestamp columns in their own type
(where their parsers are exact, :meth:`ReadPlan.typed_columns`) and parses text columns once
per distinct value (:mod:`.distinct`), then redoes only its rejected rows as text, for their
raw text and details.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property

import numpy as np
import polars as pl
import pyarrow as pa

from sanctionwatch.ingest.ais.base import Batch, latest_time
from sanctionwatch.ingest.ais.dedup import ReportDedup
from sanctionwatch.ingest.ais.distinct import DistinctValues, spell
from sanctionwatch.ingest.ais.exprs import ENGINE, GEOM, HAS, PRE, REC, SRC, cached, table_schema
from sanctionwatch.ingest.ais.layouts import CORE, KIND, Field, Layout, norm_column
from sanctionwatch.ingest.ais.parsers import MISSING_TOKENS, nonempty, present
from sanctionwatch.ingest.ais.plan import ReadPlan
from sanctionwatch.ingest.ais.rules import RejectRules
from sanctionwatch.schema import POSITIONS, VESSEL_REPORTS, Table

Stages = list[list[pl.Expr]]


def as_text(batch: pa.RecordBatch | pa.Table, keep: Iterable[str] = ()) -> pl.DataFrame:
    """The batch as text columns, except those in ``keep`` (left in their own type); nested
    columns (no layout maps them) are left out."""
    kept = set(keep)
    cols = {}
    for name, arr in zip(batch.schema.names, batch.columns, strict=True):
        if name in kept or pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            cols[name] = arr
            continue
        try:
            cols[name] = arr.cast(pa.large_string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            continue
    df = pl.from_arrow(pa.table(cols)) if cols else pl.DataFrame()
    assert isinstance(df, pl.DataFrame)
    return df


def _clean(columns: Iterable[str]) -> list[pl.Expr]:
    """The source columns trimmed, empty = null, as ``SRC + name``."""
    return [nonempty(pl.col(c).cast(pl.String).str.strip_chars()).alias(SRC + c)
            for c in columns]


class RowConverter:
    """Turns batches of raw rows of one file into canonical batches.

    Keeps the last emitted static tuple per MMSI (:class:`ReportDedup`), so vessel reports
    are emitted only when a vessel's static data first appears or changes, across batches.
    ``provided``: core targets supplied otherwise (a GeoPackage's geometry: ``lat``, ``lon``).
    ``latest``: times after it are impossible (default:
    :func:`~sanctionwatch.ingest.ais.base.latest_time`).
    """

    def __init__(self, layout: Layout, columns: Sequence[str], source: str, *, strict: bool,
                 provided: Iterable[str] = (), latest: datetime | None = None) -> None:
        self.plan = ReadPlan(layout, columns, provided)
        self.source = source
        self.strict = strict
        self.rules = RejectRules(self.plan, latest or latest_time())
        self.distinct = DistinctValues(self.plan.readers, self.plan.core)
        self.dedup = ReportDedup(self.plan.report_cols)
        self._empty_expr: tuple[tuple[tuple[str, ...], frozenset[str]], pl.Expr] | None = None

    # The readers' questions about typed columns (the plan answers them).

    def typed_columns(self, schema: pa.Schema) -> dict[str, pl.DataType]:
        """:meth:`ReadPlan.typed_columns`."""
        return self.plan.typed_columns(schema)

    def text_columns(self, schema: pa.Schema) -> list[str]:
        """:meth:`ReadPlan.text_columns`."""
        return self.plan.text_columns(schema)

    def csv_typed_candidates(self) -> tuple[list[str], list[str]]:
        """:meth:`ReadPlan.csv_typed_candidates`."""
        return self.plan.csv_typed_candidates()

    # Expressions.

    @cached_property
    def _stages(self) -> Stages:
        """The expressions of the text path (built when first needed: files read typed
        need them only for rejected rows)."""
        return cached(("text", self.plan.key, self.rules.latest), self._build_stages)

    def _build_stages(self, typed: Mapping[str, pl.DataType] | None = None,
                      by_value: Iterable[str] = (), same: Iterable[str] = ()) -> Stages:
        """The per-batch expressions, built once per file and typed configuration (building
        them costs more than evaluating them on a small batch).

        ``typed``: source columns read with their own (numeric or timestamp) type rather than
        as text; their fields use the typed form of their parser.
        ``by_value``: text columns whose fields come parsed (:class:`DistinctValues`).
        ``same``: targets that are their typed column as it is (:meth:`ReadPlan.unchanged`).
        The last stage gives the reject rule (``_rule``); the reasons and details of the
        rejected rows come from their text parse.
        """
        plan = self.plan
        typed = typed or {}
        pre = set(by_value)
        keep = set(same)

        def col(name: str) -> pl.Expr:
            n = norm_column(name)
            return pl.col(SRC + plan.col[n]) if n in plan.col else pl.lit(None, pl.String)

        def parse_field(f: Field) -> pl.Expr:
            name = plan.column_of(f)
            if name in pre:
                return pl.col(PRE + f.target)
            if name in typed:
                if f.target in keep:
                    return col(f.sources[0])
                typed_form = f.parser.typed
                assert typed_form is not None  # typed columns are read by typed parsers only
                return typed_form(col(f.sources[0]))
            return f.parser.text(*[col(s) for s in f.sources])

        parse: list[pl.Expr] = [pl.col(REC).alias("record"), pl.col("_empty")]
        parse += [parse_field(f).alias(f.target) for f in plan.fields]
        for t in CORE:
            if t not in plan.provided:
                name = plan.src(t)
                src = pl.col(SRC + name)
                if name in pre:
                    # Parsed by distinct value; no raw text (reject details come from the
                    # text parse of the rejected rows).
                    parse += [pl.col(HAS + name).alias(f"_has_{t}")]
                elif name in typed:
                    # The text of a NaN is "nan", a missing token; no other number or time
                    # has an empty or missing-token text. No raw text (it only feeds reject
                    # details, which come from the text parse of the rejected rows).
                    has = src.is_not_null()
                    if typed[name].is_float():
                        has = has & ~src.is_nan()
                    parse += [has.alias(f"_has_{t}")]
                else:
                    parse += [present(src).alias(f"_has_{t}"), src.alias(f"_raw_{t}")]
        if plan.gpkg:
            parse += [pl.col(GEOM + "lat").alias("lat"), pl.col(GEOM + "lon").alias("lon"),
                      pl.col(GEOM + "has").alias("_has_lat"),
                      pl.col(GEOM + "has").alias("_has_lon"),
                      pl.col(GEOM + "error").alias("_geom_error")]
        else:
            parse += [pl.lit(None, pl.String).alias("_geom_error")]
        if KIND not in plan.targets:
            parse += [pl.lit(None, pl.String).alias(KIND)]
        has_static = (pl.any_horizontal([pl.col(t).is_not_null() for t in plan.static])
                      if plan.static else pl.lit(False))
        flags = [has_static.alias("_has_static"),
                 (pl.col("_has_lat") | pl.col("_has_lon")).alias("_is_pos")]
        return [parse, flags, [self.rules.rule_index().alias("_rule")]]

    def _empty(self, columns: Sequence[str], typed: Iterable[str] = ()) -> pl.Expr:
        """Whether every field of a row is empty (never for a GeoPackage feature)."""
        keep = frozenset(typed)
        key = (tuple(columns), keep)
        if self._empty_expr is None or self._empty_expr[0] != key:
            expr = pl.all_horizontal(
                [pl.col(c).is_null() if c in keep else
                 pl.col(c).is_null() | (pl.col(c).cast(pl.String).str.strip_chars() == "")
                 for c in columns]
            ) if columns and not self.plan.gpkg else pl.lit(False)
            self._empty_expr = (key, expr.alias("_empty"))
        return self._empty_expr[1]

    # Conversion.

    def convert_typed(self, batch: pa.RecordBatch | pa.Table, record: pl.Series,
                      typed: Mapping[str, pl.DataType],
                      extra_rejects: pl.DataFrame | None = None,
                      text: pa.RecordBatch | pa.Table | None = None) -> Batch | None:
        """Convert one batch with ``typed`` columns (:meth:`typed_columns`) in their
        own type and the rest as text; None when any row would be rejected, for the caller to
        redo the batch as text, which gives rejects their raw text and details.
        ``extra_rejects`` as in :meth:`convert`.

        ``text``: the batch as read, all text (CSV) or with its own types (Parquet). Rows are
        converted independently, so with it the rejected rows alone are redone as text (for
        their raw text and details); None only if their reasons were to differ.

        Text columns read by single-source fields are parsed once per distinct value
        (:class:`DistinctValues`); reject details are left to the text redo."""
        plan = self.plan
        names = batch.schema.names
        by_value = frozenset(c for c in plan.text_columns(batch.schema) if c not in typed)
        # A typed column without nulls (a number or time in every row): no row is empty.
        no_empty = any(batch.column(c).null_count == 0 for c in typed if c in names)
        if no_empty:
            # Only the columns parsed here are needed (every row is accepted, or the
            # rejected ones are redone from ``text``, so no raw text comes from ``df``).
            df = as_text(batch.select([c for c in names if c in plan.used
                                       and c not in by_value]), keep=typed)
            empty = pl.lit(False).alias("_empty")
        else:
            df = as_text(batch, keep=typed)
            empty = self._empty(df.columns, typed)
        same = plan.unchanged(df, typed)
        key = ("typed", plan.key, self.rules.latest,
               frozenset((k, str(v)) for k, v in typed.items()), by_value, same)
        stages = cached(key, lambda: self._build_stages(typed, by_value, same))
        pre, coded = self.distinct.parse(batch, sorted(by_value))
        lf = (
            df.lazy()
            .with_columns(record.cast(pl.Int64).alias(REC), *pre)
            .select(pl.col(REC), *[pl.col(s.name) for s in pre],
                    *[(pl.col(c) if c in typed else
                       nonempty(pl.col(c).cast(pl.String).str.strip_chars())).alias(SRC + c)
                      for c in plan.used if c not in by_value],
                    empty)
            .select(stages[0])
            .with_columns(stages[1])
            .with_columns(stages[2])
        )
        p = lf.collect(engine=ENGINE)
        if p["_rule"].null_count() == p.height:
            return self._emit(p, None, None, extra_rejects, coded)
        if text is None:
            return None
        mask = p["_rule"].is_not_null()
        rows = as_text(text.filter(pa.array(mask.to_arrow())))
        sub = self._text_parse(rows, record.filter(mask))
        if not sub["_rule"].equals(p["_rule"].filter(mask)):
            return None  # cannot happen (typed columns parse as their text); be safe
        return self._emit(p, rows, sub, extra_rejects, coded)

    def convert(self, df: pl.DataFrame, record: pl.Series,
                geometry: pl.DataFrame | None = None,
                extra_rejects: pl.DataFrame | None = None) -> Batch:
        """Convert one batch.

        ``df`` holds the source columns as text, ``record`` the 1-based record numbers.
        ``geometry`` (GeoPackage) supplies ``lat``, ``lon``, ``_has_pos`` and ``_geom_error``.
        ``extra_rejects`` (REJECTS rows found while reading) are merged in record order.
        """
        if self.plan.gpkg != (geometry is not None):
            raise ValueError("geometry must be given exactly when lat/lon are provided")
        inputs = [record.cast(pl.Int64).alias(REC)]
        if geometry is not None:
            inputs += [geometry["lat"].alias(GEOM + "lat"), geometry["lon"].alias(GEOM + "lon"),
                       geometry["_has_pos"].alias(GEOM + "has"),
                       geometry["_geom_error"].alias(GEOM + "error")]
        lf = (
            df.lazy()
            .with_columns(inputs)
            .select(pl.col(REC), pl.col(f"^{GEOM}.*$"), *_clean(self.plan.used),
                    self._empty(df.columns))
            .select(self._stages[0])
            .with_columns(self._stages[1])
            .with_columns(self._stages[2])
        )
        p = lf.collect()
        if p["_rule"].null_count() == p.height:
            return self._emit(p, None, None, extra_rejects)
        mask = p["_rule"].is_not_null()
        return self._emit(p, df.filter(mask), p.filter(mask), extra_rejects)

    def _text_parse(self, df: pl.DataFrame, record: pl.Series) -> pl.DataFrame:
        """The parsed rows of a text batch (no geometry), before :meth:`_emit`."""
        return (
            df.lazy()
            .with_columns(record.cast(pl.Int64).alias(REC))
            .select(pl.col(REC), *_clean(self.plan.used), self._empty(df.columns))
            .select(self._stages[0])
            .with_columns(self._stages[1])
            .with_columns(self._stages[2])
            .collect(engine=ENGINE)
        )

    def _emit(self, p: pl.DataFrame, rows: pl.DataFrame | None, rejected: pl.DataFrame | None,
              extra_rejects: pl.DataFrame | None,
              coded: Mapping[str, pl.Series] | None = None) -> Batch:
        """The canonical batch of the parsed rows ``p``. ``rows`` and ``rejected``: the source
        rows (text) and the text parse of the rejected rows of ``p``, None when there are
        none. ``coded``: the coded text columns of ``p`` (:class:`DistinctValues`)."""
        coded = coded or {}
        ok = pl.col("_rule").is_null()
        every = rejected is None
        positions = self._conform(
            p, POSITIONS, None if every and p["_is_pos"].all() else ok & pl.col("_is_pos"),
            coded)
        schema = table_schema(VESSEL_REPORTS)
        # Compared in their report type (as emitted), text by code.
        rep = p.select(pl.col(c) if c in coded else pl.col(c).cast(schema[c])
                       for c in ["mmsi", "timestamp", *self.plan.report_cols, "record"])
        if not (every and p["_has_static"].all()):
            rep = rep.filter(p.select(ok & pl.col("_has_static")).to_series())
        if rep.height:
            rep = rep[np.flatnonzero(self.dedup.changed(rep, coded))]
        reports = self._conform(rep, VESSEL_REPORTS, None, coded)
        rejects = self.rules.rejects(self.source, rows, rejected, extra_rejects,
                                     strict=self.strict)
        only = p.select((ok & pl.col("_has_static") & ~pl.col("_is_pos")).sum()).item()
        n_extra = extra_rejects.height if extra_rejects is not None else 0
        return Batch(positions, reports, rejects, rows=p.height + n_extra,
                     reports_only=int(only))

    def _conform(self, p: pl.DataFrame, table: Table, keep: pl.Expr | None,
                 coded: Mapping[str, pl.Series]) -> pl.DataFrame:
        """The rows of ``p`` where ``keep`` holds (None: all rows) as rows of ``table``
        (:meth:`Table.conform`), with this file as their source."""
        schema = table_schema(table)
        have = [c for c in table.names if c in self.plan.targets or c == "record"]
        if keep is not None:
            p = p.lazy().filter(keep).select(have).collect(engine=ENGINE)
        cols = [(spell(coded[c], p[c]) if c in coded else p[c]).cast(schema[c]).alias(c)
                for c in have]
        return pl.DataFrame(cols).select(
            pl.col(c) if c in have else
            pl.lit(self.source if c == "source" else None, schema[c]).alias(c)
            for c in table.names)


__all__ = ["MISSING_TOKENS", "RowConverter", "as_text"]
