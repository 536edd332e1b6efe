"""Findings from a store, wired together: the entity graph, ranked vessels and dossiers.

The Python API behind ``sanctionwatch alerts`` and ``sanctionwatch report vessel``:

>>> from sanctionwatch.findings import rank_vessels, vessel_dossier     # doctest: +SKIP
>>> top = rank_vessels("sw.duckdb")[:20]                               # doctest: +SKIP
>>> dossier = vessel_dossier("sw.duckdb", "8909575")                   # doctest: +SKIP

``entity_graph`` builds the relationship graph from the lists, registry facts, events and
vessel matches in the store, with list entities merged by the stored cross-list resolution
decisions when there are any; ``rank_vessels`` scores every vessel with that graph as the
ownership source; ``vessel_dossier`` gathers one vessel's dossier with its risk and its
ownership chain.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sanctionwatch.evidence.dossier import Dossier
    from sanctionwatch.linking.graph import EntityGraph
    from sanctionwatch.risk.model import RiskParams, VesselRisk

def entity_graph(store_path: str | Path) -> EntityGraph:
    """The relationship graph of the store (:meth:`EntityGraph.from_store`), list entities
    merged by the store's cross-list resolution decisions when any are stored."""
    from sanctionwatch.linking.graph import EntityGraph

    return EntityGraph.from_store(store_path, canonical=_canonical(Path(store_path)))


def _canonical(store_path: Path) -> Callable[[str], str] | None:
    """The resolver's ``canonical`` when the store holds resolution decisions, else None."""
    from sanctionwatch.linking.resolve import load_resolver

    resolver = load_resolver(store_path)
    return resolver.canonical if resolver.decisions() else None


def rank_vessels(
    store_path: str | Path,
    params: RiskParams | None = None,
    graph: EntityGraph | None = None,
) -> list[VesselRisk]:
    """Every vessel of the store scored (:func:`sanctionwatch.risk.score_vessels`), highest
    risk first, with the store's entity graph as the ownership source (built when not given)."""
    from sanctionwatch.risk import RiskParams, score_vessels

    g = graph if graph is not None else entity_graph(store_path)
    return score_vessels(store_path, params or RiskParams(), ownership=g)


def vessel_dossier(
    store_path: str | Path,
    key: str,
    *,
    positions: Path | None = None,
    params: RiskParams | None = None,
    graph: EntityGraph | None = None,
) -> Dossier:
    """The dossier of the vessel with IMO or MMSI ``key`` (:func:`build_dossier`), with its
    risk, its STS partners' risk and its ownership chain (``RiskParams.max_hops`` links) from
    the store's entity graph (built when not given)."""
    from sanctionwatch.evidence.dossier import build_dossier, ownership_from_graph, risk_lookup
    from sanctionwatch.risk import RiskParams

    p = params or RiskParams()
    g = graph if graph is not None else entity_graph(store_path)
    return build_dossier(
        store_path,
        key,
        positions=positions,
        risk=risk_lookup(rank_vessels(store_path, p, g)),
        ownership=ownership_from_graph(g, max_hops=p.max_hops),
    )


__all__ = ["entity_graph", "rank_vessels", "vessel_dossier"]
