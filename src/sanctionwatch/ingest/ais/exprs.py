"""Small Polars helpers shared by the conversion modules (converter, distinct values, report
dedup, reject rules): internal column names, the query engine for small queries, the
canonical schemas and a cache of built expressions."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from functools import cache
from typing import Any, Final, TypeVar

import polars as pl

from sanctionwatch.schema import Table

_T = TypeVar("_T")

SRC: Final = "__sw_src:"
"""Prefix of a cleaned source column (prefixes keep internal columns apart from any source
column name)."""
REC: Final = "__sw_record"
"""The record number column."""
GEOM: Final = "__sw_geom_"
"""Prefix of the columns a GeoPackage geometry supplies."""
PRE: Final = "__sw_pre:"
"""Prefix of a field parsed beforehand, once per distinct value
(:mod:`~sanctionwatch.ingest.ais.distinct`)."""
HAS: Final = "__sw_has:"
"""Prefix of whether a core field's source column holds a value, found once per distinct
value (:mod:`~sanctionwatch.ingest.ais.distinct`)."""
VALUE: Final = "__sw_value"
"""The distinct values of one text column."""

ENGINE: Final = "in-memory"
"""Polars engine of the typed path's queries and of those on a few rows: it starts a query
at a fraction of the streaming engine's cost, which is most of theirs. (The text path's
string parsing keeps the default engine, which costs less there.)"""

_EXPRESSIONS: dict[Hashable, Any] = {}
_EXPRESSIONS_MAX = 256


def cached(key: Hashable, build: Callable[[], _T]) -> _T:
    """``build()``, kept by ``key``: the configuration (layout, header, typed columns) that
    the expressions depend on. Building them costs more than evaluating them on a batch,
    and the files of one export share them. A bounded memo (cleared when full), not a
    registry: the result never depends on what it holds."""
    built: _T | None = _EXPRESSIONS.get(key)
    if built is None:
        if len(_EXPRESSIONS) >= _EXPRESSIONS_MAX:
            _EXPRESSIONS.clear()
        built = _EXPRESSIONS[key] = build()
    return built


@cache
def table_schema(table: Table) -> Mapping[str, pl.DataType]:
    """``table.polars_schema()``, built once (it costs a conversion from Arrow)."""
    return table.polars_schema()


__all__ = ["ENGINE", "GEOM", "HAS", "PRE", "REC", "SRC", "VALUE", "cached", "table_schema"]
