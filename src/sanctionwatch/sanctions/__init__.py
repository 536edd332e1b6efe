"""Sanctions lists: loaders into FtM statements with provenance, a store, and list diffs.

>>> from sanctionwatch.sanctions import ListStore
>>> with ListStore("sw.duckdb") as store:                       # doctest: +SKIP
...     store.load("un_consolidated_2026-02-27.xml")
...     vessels = store.entities(schema="Vessel")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch.lazy import lazy_exports

if TYPE_CHECKING:
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

# Loaded on first use (PEP 562): followthemoney is slow to import, which every
# ``sanctionwatch`` command would otherwise pay.
_WHERE = {
    "EntityChange": "diff", "ListDiff": "diff", "diff_entities": "diff",
    "READERS": "loaders", "detect_format": "loaders", "read_list": "loaders",
    "ListFormatError": "model", "ListMeta": "model", "ParsedList": "model",
    "Statement": "model", "entities_from_statements": "model",
    "ListStore": "store", "LoadResult": "store",
}


__getattr__ = lazy_exports(__name__, _WHERE, globals())


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
