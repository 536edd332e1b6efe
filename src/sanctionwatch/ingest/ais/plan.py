"""How one file's columns are read: the layout fields its header feeds, the source columns
they read, and which of those columns may be read in their own type rather than as text.

Built once per file from the layout and the header; every decision is per column, from the
parsers of the fields that read it (:class:`~sanctionwatch.ingest.ais.parsers.Parser`), in
time linear in the number of fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import polars as pl
import pyarrow as pa

from sanctionwatch.ingest.ais.exprs import table_schema
from sanctionwatch.ingest.ais.layouts import CORE, STATIC, Field, Layout, norm_column
from sanctionwatch.schema import POSITIONS, VESSEL_REPORTS


def is_text(atype: pa.DataType) -> bool:
    """Whether an Arrow type holds text (plain or dictionary-encoded)."""
    if pa.types.is_dictionary(atype):
        atype = atype.value_type
    return bool(pa.types.is_string(atype) or pa.types.is_large_string(atype)
                or pa.types.is_string_view(atype))


class ReadPlan:
    """The fields of ``layout`` that a file with header ``columns`` feeds.

    ``provided``: core targets supplied otherwise (``lat`` and ``lon`` from a GeoPackage
    geometry); their fields are not read from columns.
    """

    def __init__(self, layout: Layout, columns: Sequence[str],
                 provided: Iterable[str] = ()) -> None:
        self.layout = layout
        self.provided = frozenset(provided)
        by_norm: dict[str, str] = {}
        for c in columns:
            by_norm.setdefault(norm_column(c), c)
        self.col = by_norm
        """Normalised name -> the header's column (the first of equal names)."""
        self.fields = [
            f for f in layout.fields
            if f.target not in self.provided
            and any(norm_column(s) in by_norm for s in f.sources)
        ]
        """The fields read from columns: those with a source in the header."""
        self.used = sorted({by_norm[norm_column(s)] for f in self.fields for s in f.sources
                            if norm_column(s) in by_norm})
        """The source columns read."""
        self.targets = {f.target for f in self.fields} | self.provided
        self.static = [t for t in STATIC if t in self.targets]
        self.report_cols = [*self.static,
                            *(["ais_class"] if "ais_class" in self.targets else [])]
        """The columns of a vessel report's static tuple."""
        self.gpkg = "lat" in self.provided
        self.readers: dict[str, list[Field]] = {name: [] for name in self.used}
        """The fields reading each used column."""
        for f in self.fields:
            names = (by_norm[n] for n in map(norm_column, f.sources) if n in by_norm)
            for name in dict.fromkeys(names):
                self.readers[name].append(f)
        self.core = frozenset(self.src(t) for t in CORE if t not in self.provided)
        """The source columns of the core fields (MMSI, time, position)."""
        self.by_value = frozenset(
            name for name, fs in self.readers.items()
            if all(len(f.sources) == 1 for f in fs)
            and (name not in self.core or all(f.parser.reads == "time" for f in fs)))
        """Columns that may be parsed once per distinct value: every reader is single-source,
        and a core column only when it holds times (many rows share a second; coordinates
        hardly repeat). A core column's raw text feeds reject details, which come from the
        text parse of the rejected rows."""
        self.key = (layout, tuple(columns), self.provided)
        """What the built expressions depend on (a cache key)."""

    def src(self, target: str) -> str:
        """The source column of a core target."""
        return self.col[norm_column(self.layout.core_source(target))]

    def column_of(self, f: Field) -> str | None:
        """The header column of a single-source field (None for several sources)."""
        return self.col.get(norm_column(f.sources[0])) if len(f.sources) == 1 else None

    def typed_columns(self, schema: pa.Schema) -> dict[str, pl.DataType]:
        """Source columns of ``schema`` that can be parsed in their own type: every field
        reading them has a typed parser that gives exactly what it gives on their text.

        Used by the Parquet reader to skip the number -> text -> number round trip.
        """
        targets = {**table_schema(POSITIONS), **table_schema(VESSEL_REPORTS)}
        out: dict[str, pl.DataType] = {}
        if self.gpkg:
            return out
        for name in self.used:
            if name not in schema.names:
                continue
            atype = schema.field(name).type
            readers = self.readers[name]
            ok = bool(readers) and all(
                len(f.sources) == 1 and f.parser.exact_on(atype, targets.get(f.target))
                for f in readers
            )
            if ok:
                out[name] = pl.Series(pa.array([], atype)).dtype
        return out

    def text_columns(self, schema: pa.Schema) -> list[str]:
        """Text columns of ``schema`` that the typed path parses once per distinct value
        (:mod:`~sanctionwatch.ingest.ais.distinct`); the Parquet reader reads them
        dictionary-encoded."""
        return [c for c in self.used if c in self.by_value
                and c in schema.names and is_text(schema.field(c).type)]

    def csv_typed_candidates(self) -> tuple[list[str], list[str]]:
        """Source columns a CSV batch may pass typed (:func:`.csv.cast_typed`): those whose
        every reader is exact on a Float64 column, and those read only by the ISO 8601 time
        parser."""
        targets = {**table_schema(POSITIONS), **table_schema(VESSEL_REPORTS)}
        numeric: list[str] = []
        times: list[str] = []
        if self.gpkg:
            return numeric, times
        for name in self.used:
            readers = self.readers[name]
            if not readers or any(len(f.sources) != 1 for f in readers):
                continue
            if all(f.parser.exact_on(pa.float64(), targets.get(f.target)) for f in readers):
                numeric.append(name)
            elif all(f.parser.iso_time for f in readers):
                times.append(name)
        return numeric, times

    def unchanged(self, df: pl.DataFrame, typed: Mapping[str, pl.DataType]) -> frozenset[str]:
        """Targets whose typed parser gives back the values of its column of ``df`` as they
        are (:meth:`Parser.keeps`): the column is used without parsing."""
        same = set()
        for f in self.fields:
            name = self.column_of(f)
            if name is None or name not in typed or name not in df.columns:
                continue
            if f.parser.keeps(df[name]):
                same.add(f.target)
        return frozenset(same)


__all__ = ["ReadPlan", "is_text"]
