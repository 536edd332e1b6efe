"""Sanctions lists: loaders into FtM statements with provenance, a store, and list diffs.

>>> from sanctionwatch.sanctions import ListStore
>>> with ListStore("sw.duckdb") as store:                       # doctest: +SKIP
...     store.load("un_consolidated_2026-02-27.xml")
...     vessels = store.entities(schema="Vessel")
"""

from __future__ import annotations

from sanctionwatch.sanctions.diff import EntityChange, ListDiff, diff_entities
from sanctionwatch.sanctions.loaders import READERS, detect_format, read_list
from sanctionwatch.sanctions.model import (
    ListFormatError,
    ListMeta,
    ParsedList,
    Statement,
    entities_from_statements,
)
from sanctionwatch.sanctions.store import ListStore, LoadResult

__all__ = [
    "READERS",
    "EntityChange",
    "ListDiff",
    "ListFormatError",
    "ListMeta",
    "ListStore",
    "LoadResult",
    "ParsedList",
    "Statement",
    "detect_format",
    "diff_entities",
    "entities_from_statements",
    "read_list",
]
