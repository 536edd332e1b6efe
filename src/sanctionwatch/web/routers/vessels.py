"""``/api/vessels``: search, a vessel's identities, matches, risk and partners, its track,
its dossier and its graph neighbourhood."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse

from sanctionwatch.schema import VESSEL_IDENTITIES, VESSEL_MATCHES
from sanctionwatch.store import DuckDBStore, read_table, table_columns
from sanctionwatch.web.deps import get_state, json_rows, latest_names, parse_time
from sanctionwatch.web.models import Graph, VesselDetail, VesselSummary
from sanctionwatch.web.security import DOSSIER_CSP
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["vessels"])


def vessel_mmsis(st: DuckDBStore, key: str) -> tuple[int | None, list[int]]:
    """The IMO (if the key is one) and the MMSIs the store knows for ``key``; 400 for a key
    that is neither, 404 for a vessel the store does not know."""
    from sanctionwatch.evidence.dossier import parse_key
    from sanctionwatch.evidence.loaders import SourceStore

    try:
        imo, mmsi = parse_key(key)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    src = SourceStore(st)
    mmsis = src.mmsis_for(imo, mmsi)
    if not mmsis and not src.listed_ids(imo, mmsis):
        raise HTTPException(404, f"the store holds nothing on {key}")
    return imo, mmsis


def latest_identities(st: DuckDBStore) -> list[dict[str, Any]]:
    """The latest identity (imo, name, flag) of every MMSI in ``vessel_identities``, with
    every name and IMO it ever broadcast (``names``, ``imos``)."""
    if not table_columns(st.con, "vessel_identities"):
        return []
    rows = st.con.execute(
        "SELECT mmsi, arg_max(imo, last_seen), arg_max(name, last_seen), "
        "arg_max(flag, last_seen), list(DISTINCT name), list(DISTINCT imo) "
        "FROM vessel_identities GROUP BY mmsi").fetchall()
    return [{"mmsi": int(m), "imo": i, "name": n, "flag": f,
             "names": [x for x in names if x is not None],
             "imos": [x for x in imos if x is not None]}
            for m, i, n, f, names, imos in rows]


@router.get("/api/vessels", response_model=list[VesselSummary])
def search(
    state: Annotated[AppState, Depends(get_state)],
    q: Annotated[str, Query(description="Name (part), MMSI or IMO.")] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    """Vessels that ever broadcast a name containing ``q`` (any case), or whose MMSI or a
    broadcast IMO is ``q``; riskiest first, each with its latest identity."""
    risk = state.risk_by_mmsi()
    with state.read() as st:
        vessels = latest_identities(st)
    text = q.strip().casefold()
    digits = text.removeprefix("imo").strip()
    out = []
    for v in vessels:
        if text and not (
            (digits.isdigit() and (str(v["mmsi"]) == digits
                                   or digits in (str(i) for i in v["imos"])))
            or any(text in n.casefold() for n in v["names"])
        ):
            continue
        r = risk.get(v["mmsi"])
        out.append({"mmsi": v["mmsi"], "imo": v["imo"], "name": v["name"], "flag": v["flag"],
                    "score": None if r is None else r.score})
    out.sort(key=lambda v: (-(v["score"] or 0.0), v["name"] or "", v["mmsi"]))
    return out[:limit]


@router.get("/api/vessels/{key}", response_model=VesselDetail)
def vessel(key: str, state: Annotated[AppState, Depends(get_state)]) -> dict[str, Any]:
    """Everything the store knows of one vessel (IMO or MMSI): identity history, list
    matches, risk, STS partners and how many events."""
    risk = state.risk_by_mmsi()
    with state.read() as st:
        imo, mmsis = vessel_mmsis(st, key)
        marks = list(mmsis)
        identities = json_rows(read_table(
            st.con, VESSEL_IDENTITIES, "mmsi, first_seen", [marks],
            where="list_contains(?::BIGINT[], mmsi)"))
        matches = json_rows(read_table(
            st.con, VESSEL_MATCHES, "score DESC, mmsi, match_id", [marks],
            where="list_contains(?::BIGINT[], mmsi)"))
        partners: list[int] = []
        total = 0
        if table_columns(st.con, "events") and mmsis:
            total = int(st.con.execute(
                "SELECT count(*) FROM events WHERE list_contains(?::BIGINT[], mmsi) OR "
                "list_contains(?::BIGINT[], other_mmsi)", [marks, marks]).fetchall()[0][0])
            rows = st.con.execute(
                "SELECT DISTINCT CASE WHEN list_contains(?::BIGINT[], mmsi) THEN other_mmsi "
                "ELSE mmsi END FROM events WHERE event_type = 'encounter' AND "
                "(list_contains(?::BIGINT[], mmsi) OR list_contains(?::BIGINT[], other_mmsi))",
                [marks, marks, marks]).fetchall()
            partners = sorted({int(r[0]) for r in rows if r[0] is not None} - set(mmsis))
        names = latest_names(st, [*mmsis, *partners])
    scored = [risk[m] for m in mmsis if m in risk]
    best = max(scored, key=lambda r: r.score, default=None)
    if imo is None and identities:
        imo = next((i["imo"] for i in reversed(identities) if i["imo"] is not None), None)
    name = next((names[m] for m in mmsis if m in names), None)
    if name is None and matches:
        name = matches[0]["match_name"]
    return {
        "mmsi": mmsis, "imo": imo, "name": name, "identities": identities, "matches": matches,
        "risk": None if best is None else {
            "score": best.score, "confidence": best.confidence, "reasons": best.reasons,
            "indicators": [i.to_dict() for i in best.indicators]},
        "partners": [{"mmsi": p, "name": names.get(p),
                      "score": risk[p].score if p in risk else None} for p in partners],
        "events_total": total,
    }


def load_tracks(state: AppState, key: str, since: datetime | None = None,
                until: datetime | None = None) -> list[dict[str, Any]]:
    """:func:`sanctionwatch.export.tracks.vessel_tracks` under the store lock (400 for a bad
    key, 404 for an unknown vessel)."""
    from sanctionwatch.evidence import VesselNotFound
    from sanctionwatch.export.tracks import vessel_tracks

    try:
        with state.lock.read():
            return vessel_tracks(state.store_path, key, since, until)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    except VesselNotFound as exc:
        raise HTTPException(404, f"the store holds nothing on {key}") from exc


@router.get("/api/vessels/{key}/track")
def track(
    key: str, state: Annotated[AppState, Depends(get_state)],
    since: str | None = None, until: str | None = None,
) -> dict[str, Any]:
    """The vessel's track as GeoJSON: one LineString per MMSI and track (``mmsi``,
    ``track_id``, ``times``: the ISO time of each coordinate, for replay)."""
    from sanctionwatch.export.tracks import tracks_geojson

    return tracks_geojson(load_tracks(state, key, parse_time(since, "since"),
                                      parse_time(until, "until")))


@router.get("/api/vessels/{key}/dossier", response_class=HTMLResponse)
def dossier(key: str, state: Annotated[AppState, Depends(get_state)]) -> HTMLResponse:
    """The vessel's evidence dossier (HTML, every value cited; no script)."""
    from sanctionwatch.evidence import (
        VesselNotFound,
        build_dossier,
        ownership_from_graph,
        risk_lookup,
    )
    from sanctionwatch.evidence.render import render_html
    from sanctionwatch.risk import RiskParams

    graph, risks = state.graph(), state.risks()
    try:
        with state.lock.read():
            d = build_dossier(state.store_path, key, risk=risk_lookup(risks),
                              ownership=ownership_from_graph(graph,
                                                             max_hops=RiskParams().max_hops))
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    except VesselNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return HTMLResponse(render_html(d), headers={"Content-Security-Policy": DOSSIER_CSP,
                                                 "X-Frame-Options": "SAMEORIGIN"})


def graph_json(g: Any) -> dict[str, Any]:
    """An :class:`EntityGraph` as ``{nodes: [{id, label, kind, designated}], links: [...]}``."""
    d = g.to_dict()
    return {
        "nodes": [{"id": str(n["id"]), "label": str(n.get("label") or n["id"]),
                   "kind": str(n.get("kind") or "other"), "designated": bool(n.get("designated"))}
                  for n in d["nodes"]],
        "links": [{"source": lk["source"], "target": lk["target"], "relation": lk["relation"],
                   "origin": lk["origin"], "provenance": str(lk.get("provenance") or "")}
                  for lk in d["links"]],
    }


@router.get("/api/vessels/{key}/graph", response_model=Graph)
def vessel_graph(key: str, state: Annotated[AppState, Depends(get_state)],
                 hops: Annotated[int, Query(ge=1, le=3)] = 1) -> dict[str, Any]:
    """The relationship graph within ``hops`` links of the vessel."""
    g = state.graph()
    node = g.find(key)
    if node is None:
        raise HTTPException(404, f"no vessel {key} in the relationship graph")
    return graph_json(g.neighbourhood(node, hops))


__all__ = ["graph_json", "load_tracks", "router", "vessel_mmsis"]
