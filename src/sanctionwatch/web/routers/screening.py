"""Screening: ``/api/screen`` and the yente-compatible ``POST /match/{dataset}``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from sanctionwatch.web.deps import get_state
from sanctionwatch.web.models import MatchRequest, MatchResponse, ScreenHit
from sanctionwatch.web.state import AppState, ListIndex

router = APIRouter(tags=["screening"])

YENTE_LIMIT = 5
"""Default results per query of ``/match`` (yente's default ``limit``)."""
COUNTRY_PROPS = ("country", "jurisdiction", "flag", "nationality", "citizenship")


def _lists(state: AppState) -> ListIndex:
    from sanctionwatch.screening.screen import NoListsLoaded

    try:
        return state.lists()
    except NoListsLoaded as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/api/screen", response_model=list[ScreenHit])
def screen(
    state: Annotated[AppState, Depends(get_state)],
    q: Annotated[str, Query(min_length=1, max_length=500)],
    schema: Literal["Vessel", "Company", "Person", "LegalEntity", "Organization"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[dict[str, Any]]:
    """Listed entities matching a name, best first, each with why it scored."""
    hits = _lists(state).screener.screen(q, schema=schema, limit=limit)
    return [{"id": m.entity_id, "name": m.name, "schema": m.schema,
             "datasets": list(m.datasets), "score": round(m.score, 4), "match": m.is_match,
             "explanation": m.explanation.explain()} for m in hits]


@router.post("/match/{dataset}", response_model=MatchResponse, response_model_by_alias=True)
def match(
    dataset: str, body: MatchRequest, state: Annotated[AppState, Depends(get_state)],
    limit: Annotated[int, Query(ge=1, le=500)] = YENTE_LIMIT,
    threshold: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
) -> dict[str, Any]:
    """yente's matching API: each query (an FtM schema and properties) against the loaded
    lists (``dataset`` ``default``: all of them), scored and explained."""
    idx = _lists(state)
    known = sorted({d for e in idx.screener.index.records for d in e.datasets})
    if dataset != "default" and dataset not in known:
        raise HTTPException(404, f"no dataset {dataset!r}: loaded are default, "
                                 + ", ".join(known))
    cut = idx.screener.threshold if threshold is None else threshold
    responses: dict[str, Any] = {}
    for key, example in body.queries.items():
        props = example.properties
        names = [n for n in props.get("name", []) + props.get("alias", []) if n.strip()]
        if not names:
            raise HTTPException(400, f"query {key!r}: needs at least one name")
        imo = next((v.upper().removeprefix("IMO").strip() for v in props.get("imoNumber", [])
                    if v.strip()), None)
        mmsi = next(iter(props.get("mmsi", [])), None)
        country = next((v for p in COUNTRY_PROPS for v in props.get(p, [])), None)
        birth = next(iter(props.get("birthDate", [])), None)
        best: dict[str, Any] = {}
        for name in names:
            schema = example.schema_ if example.schema_ not in ("Thing", "") else None
            for m in idx.screener.screen(name, schema=schema, imo=imo, country=country,
                                         birth_date=birth, limit=limit * 4, mmsi=mmsi):
                if dataset != "default" and dataset not in m.datasets:
                    continue
                if m.entity_id not in best or m.score > best[m.entity_id].score:
                    best[m.entity_id] = m
        ranked = sorted(best.values(), key=lambda m: (-m.score, m.entity_id))[:limit]
        results = []
        for m in ranked:
            entity = idx.entities.get(m.entity_id)
            properties = entity.to_dict()["properties"] if entity is not None else {}
            results.append({
                "id": m.entity_id, "caption": m.name, "schema": m.schema,
                "properties": properties, "datasets": list(m.datasets),
                "score": round(m.score, 4), "match": m.score >= cut,
                "features": {f.name: round(f.contribution, 4) for f in (
                    *((m.explanation.best,) if m.explanation.best else ()),
                    *m.explanation.features)},
                "explanation": m.explanation.explain()})
        responses[key] = {"status": 200, "results": results,
                          "total": {"value": len(results), "relation": "eq"},
                          "query": {"id": key, "schema": example.schema_,
                                    "properties": props}}
    return {"responses": responses, "limit": limit}
