"""``/api/entities``: a listed entity with the provenance of its statements, and its graph;
``/api/wallets``: a crypto address with its stored traces and its paths to designated
entities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse

from sanctionwatch.web.deps import get_state, json_rows
from sanctionwatch.web.models import Graph
from sanctionwatch.web.routers.vessels import graph_json
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["entities"])

MAX_WALLET_FLOWS = 500
"""Most stored transfers ``/api/wallets/{address}`` returns (newest first; a page of a
trace, which holds a few hundred on the Ronin excerpt)."""


def _trace_rows(state: AppState, addresses: list[str], flows: bool = False
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``crypto_addresses`` rows (and, with ``flows``, ``crypto_flows`` rows in or out) of
    ``addresses``, compared case-insensitively; empty when no trace is stored."""
    from sanctionwatch.schema import CRYPTO_ADDRESSES, CRYPTO_FLOWS
    from sanctionwatch.store.duck import read_table, table_columns

    if not addresses:
        return [], []
    keys = [a.lower() for a in addresses]
    marks = ", ".join("?" for _ in keys)
    with state.read() as st:
        if not table_columns(st.con, CRYPTO_ADDRESSES.name):
            return [], []
        rows = read_table(st.con, CRYPTO_ADDRESSES, "run_id, address", keys,
                          f"lower(address) IN ({marks})")
        moves = CRYPTO_FLOWS.empty()
        if flows:
            moves = read_table(st.con, CRYPTO_FLOWS, f"time DESC, line LIMIT {MAX_WALLET_FLOWS}",
                               keys + keys, f"lower(from_address) IN ({marks}) OR "
                               f"lower(to_address) IN ({marks})")
    return json_rows(rows), json_rows(moves)


def _wallet(state: AppState, key: str) -> tuple[str, dict[str, Any]] | None:
    """The wallet node ``key`` names (node id or address) and its attributes."""
    g = state.graph()
    node = g.find(key)
    if node is None or g.graph.nodes[node].get("kind") != "wallet":
        return None
    return node, g.graph.nodes[node]


@router.get("/api/entities/{entity_id}")
def entity(entity_id: str, state: Annotated[AppState, Depends(get_state)]) -> dict[str, Any]:
    """The entity as FtM (``id``, ``schema``, ``properties``) as in the latest loaded version
    of its list, with ``statements``: every stored fact with its list, version and record. A
    crypto wallet (a listed ``CryptoWallet``, or a ``wallet:`` node or address a stored trace
    reached) also has ``trace``: its ``crypto_addresses`` rows."""
    from sanctionwatch.sanctions.store import VERSIONS_TABLE, ListStore
    from sanctionwatch.store import table_columns

    out: dict[str, Any] | None = None
    with state.lock.read(), ListStore(state.store_path, read_only=True) as ls:
        if table_columns(ls.con, VERSIONS_TABLE):
            proxy = ls.entity(entity_id)
            if proxy is not None:
                out = proxy.to_dict()
                out["caption"] = proxy.caption
                out["statements"] = json_rows(ls.statements(entity_id=entity_id))
    if out is not None:
        if out["schema"] == "CryptoWallet":
            out["trace"] = _trace_rows(state, out["properties"].get("publicKey", []))[0]
        return out
    found = _wallet(state, entity_id)
    if found is None:
        raise HTTPException(404, f"no listed entity or crypto wallet {entity_id!r}")
    node, attrs = found
    addresses = list(attrs.get("addresses") or ())
    return {"id": node, "schema": "CryptoWallet", "caption": attrs.get("label") or node,
            "properties": {"publicKey": addresses}, "statements": [],
            "trace": _trace_rows(state, addresses)[0]}


@router.get("/api/entities/{entity_id}/graph", response_model=Graph)
def entity_graph(entity_id: str, state: Annotated[AppState, Depends(get_state)],
                 hops: Annotated[int, Query(ge=1, le=3)] = 1) -> dict[str, Any]:
    """The relationship graph within ``hops`` links of the entity (or graph node id, or
    crypto address)."""
    g = state.graph()
    node = g.find(entity_id)
    if node is None:
        node = next((str(n) for n, a in g.graph.nodes(data=True)
                     if entity_id in (a.get("entity_ids") or ())), None)
    if node is None:
        raise HTTPException(404, f"no entity {entity_id!r} in the relationship graph")
    return graph_json(g.neighbourhood(node, hops))


@router.get("/api/wallets/{address}")
def wallet(address: str, state: Annotated[AppState, Depends(get_state)],
           max_hops: Annotated[int, Query(ge=1, le=4)] = 3) -> dict[str, Any]:
    """A crypto address (any case): its graph node, whether a list names it, its rows in the
    stored traces (``trace``), the stored transfers in or out of it (``flows``, newest first,
    at most :data:`MAX_WALLET_FLOWS`) and its shortest paths to designated entities within
    ``max_hops`` links (``paths``, each link with its source)."""
    found = _wallet(state, address)
    if found is None:
        raise HTTPException(404, f"no crypto address {address!r} on a loaded list or in a "
                            "stored trace")
    node, attrs = found
    addresses = list(attrs.get("addresses") or ())
    rows, flows = _trace_rows(state, addresses, flows=True)
    paths = state.graph().paths_to_designated(node, max_hops)
    return {"address": address, "node": node, "label": attrs.get("label") or node,
            "addresses": addresses, "entity_ids": list(attrs.get("entity_ids") or ()),
            "listed": bool(attrs.get("entity_ids")), "trace": rows, "flows": flows,
            "paths": [p.to_dict() for p in paths]}


@router.get("/api/wallets/{address}/dossier", response_class=HTMLResponse)
def wallet_dossier(address: str,
                   state: Annotated[AppState, Depends(get_state)]) -> HTMLResponse:
    """The crypto address's evidence dossier (HTML, every value cited; no script): holder and
    designation, paths, alert score, taint and hops from each seed, transfers, findings."""
    from sanctionwatch.evidence.wallet_dossier import (
        WalletNotFound,
        build_wallet_dossier,
        render_wallet_html,
    )
    from sanctionwatch.linking.graph_build import read_crypto
    from sanctionwatch.web.security import DOSSIER_CSP

    graph = state.graph()
    try:
        with state.lock.read():
            addresses, flows, _ = read_crypto(state.store_path, None)
        d = build_wallet_dossier(address, addresses, flows, graph)
    except WalletNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return HTMLResponse(render_wallet_html(d), headers={"Content-Security-Policy": DOSSIER_CSP,
                                                        "X-Frame-Options": "SAMEORIGIN"})
