"""Linking entities: cross-list resolution (:mod:`.resolve`) and the relationship graph
(:mod:`.graph`).

>>> from sanctionwatch.linking import Resolver, xref, resolved_entities   # doctest: +SKIP
>>> resolver = Resolver(xref(entities))
>>> merged = resolved_entities(entities, resolver)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch.lazy import lazy_exports

if TYPE_CHECKING:
    from sanctionwatch.linking.graph import EntityGraph, GraphPath, Link
    from sanctionwatch.linking.resolve import (
        Decision,
        ResolvedEntity,
        Resolver,
        load_resolver,
        resolved_entities,
        save_decisions,
        xref,
    )

# Loaded on first use (PEP 562): followthemoney and the matcher are slow to import, which
# every ``sanctionwatch`` command would otherwise pay.
_WHERE = {
    "EntityGraph": "graph", "GraphPath": "graph", "Link": "graph",
    "Decision": "resolve", "ResolvedEntity": "resolve", "Resolver": "resolve",
    "load_resolver": "resolve", "resolved_entities": "resolve", "save_decisions": "resolve",
    "xref": "resolve",
}


__getattr__ = lazy_exports(__name__, _WHERE, globals())


__all__ = [
    "Decision",
    "EntityGraph",
    "GraphPath",
    "Link",
    "ResolvedEntity",
    "Resolver",
    "load_resolver",
    "resolved_entities",
    "save_decisions",
    "xref",
]
