"""``/api/entities``: a listed entity with the provenance of its statements, and its graph."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from sanctionwatch.web.deps import get_state, json_rows
from sanctionwatch.web.models import Graph
from sanctionwatch.web.routers.vessels import graph_json
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["entities"])


@router.get("/api/entities/{entity_id}")
def entity(entity_id: str, state: Annotated[AppState, Depends(get_state)]) -> dict[str, Any]:
    """The entity as FtM (``id``, ``schema``, ``properties``) as in the latest loaded version
    of its list, with ``statements``: every stored fact with its list, version and record."""
    from sanctionwatch.sanctions.store import VERSIONS_TABLE, ListStore
    from sanctionwatch.store import table_columns

    with state.lock.read(), ListStore(state.store_path, read_only=True) as ls:
        if not table_columns(ls.con, VERSIONS_TABLE):
            raise HTTPException(404, "no sanctions lists are loaded")
        proxy = ls.entity(entity_id)
        if proxy is None:
            raise HTTPException(404, f"no listed entity {entity_id!r}")
        statements = json_rows(ls.statements(entity_id=entity_id))
    out: dict[str, Any] = proxy.to_dict()
    out["caption"] = proxy.caption
    out["statements"] = statements
    return out


@router.get("/api/entities/{entity_id}/graph", response_model=Graph)
def entity_graph(entity_id: str, state: Annotated[AppState, Depends(get_state)],
                 hops: Annotated[int, Query(ge=1, le=3)] = 1) -> dict[str, Any]:
    """The relationship graph within ``hops`` links of the entity (or graph node id)."""
    g = state.graph()
    node = g.find(entity_id)
    if node is None:
        node = next((str(n) for n, a in g.graph.nodes(data=True)
                     if entity_id in (a.get("entity_ids") or ())), None)
    if node is None:
        raise HTTPException(404, f"no entity {entity_id!r} in the relationship graph")
    return graph_json(g.neighbourhood(node, hops))
