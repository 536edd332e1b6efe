"""``/api/runs`` and ``/api/quality``: what ran on the store and the data-quality findings."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from sanctionwatch.schema import QUALITY_FINDINGS, RUNS
from sanctionwatch.store import read_table, table_columns
from sanctionwatch.web.deps import MAX_PAGE, get_state, json_rows
from sanctionwatch.web.models import Page
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["runs"])


@router.get("/api/runs")
def runs(state: Annotated[AppState, Depends(get_state)]) -> list[dict[str, Any]]:
    """Every recorded run, newest first (JSON columns as objects)."""
    with state.read() as st:
        rows = json_rows(st.runs())
    for r in rows:
        for c in RUNS.columns:
            if c.json and isinstance(r.get(c.name), str):
                r[c.name] = json.loads(r[c.name])
    return rows


@router.get("/api/quality", response_model=Page)
def quality(
    state: Annotated[AppState, Depends(get_state)],
    type: Annotated[list[str] | None, Query(description="Finding type (repeatable).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Data-quality findings, paged, in time order."""
    types = [t for t in (type or ()) if t]
    where = "list_contains(?::VARCHAR[], event_type)" if types else ""
    params: list[Any] = [types] if types else []
    with state.read() as st:
        if not table_columns(st.con, QUALITY_FINDINGS.name):
            return {"total": 0, "offset": offset, "limit": limit, "items": []}
        total = int(st.con.execute(
            f"SELECT count(*) FROM {QUALITY_FINDINGS.name}" + (f" WHERE {where}" if where
                                                                else ""), params).fetchall()[0][0])
        df = read_table(st.con, QUALITY_FINDINGS,
                        "start_time, event_type, mmsi, event_id LIMIT ? OFFSET ?",
                        [*params, limit, offset], where=where)
    items = json_rows(df)
    for r in items:
        if isinstance(r.get("details"), str):
            r["details"] = json.loads(r["details"])
    return {"total": total, "offset": offset, "limit": limit, "items": items}
