"""``/api/events``, ``/api/events.geojson`` and ``/api/zones``."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from sanctionwatch.export.events import event_mmsis
from sanctionwatch.store import DuckDBStore, EventFilter
from sanctionwatch.web.deps import (
    MAX_GEOJSON,
    MAX_PAGE,
    designated_mmsis,
    event_filter,
    get_state,
    iso,
    latest_names,
)
from sanctionwatch.web.models import EventPage
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["events"])

ITEM_FIELDS = ("event_id", "event_type", "subtype", "mmsi", "other_mmsi", "start_time",
               "end_time", "lat", "lon", "end_lat", "end_lon", "duration_h", "port_name",
               "zone_id", "zone_name", "is_dprk")


def event_items(st: DuckDBStore, df: pl.DataFrame) -> list[dict[str, Any]]:
    """Events as API items: the item columns, the vessels' names, whether one is listed, and
    one sentence saying what happened."""
    from sanctionwatch.evidence.loaders import explain_event

    if df.height == 0:
        return []
    mmsis = event_mmsis(df)
    names = latest_names(st, mmsis)
    listed = designated_mmsis(st, mmsis)
    out = []
    for r in df.iter_rows(named=True):
        parties = [int(r["mmsi"])] + ([int(r["other_mmsi"])] if r["other_mmsi"] is not None
                                      else [])
        item = {k: iso(r[k]) for k in ITEM_FIELDS}
        item["names"] = {str(m): names[m] for m in parties if m in names}
        item["designated"] = any(m in listed for m in parties)
        item["explanation"] = explain_event(r, [int(r["mmsi"])])
        out.append(item)
    return out


def page(st: DuckDBStore, f: EventFilter, limit: int, offset: int) -> tuple[int, list[
        dict[str, Any]]]:
    """The total matching ``f`` and the items of one page."""
    total = st.count_matching(f)
    df = st.events(replace(f, limit=limit, offset=offset))
    return total, event_items(st, df)


def feature(item: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature of an item: a line from start to end when both ends are known and
    differ, else a point, else no geometry."""
    lat, lon, elat, elon = item["lat"], item["lon"], item["end_lat"], item["end_lon"]
    geometry: dict[str, Any] | None = None
    if lat is not None and lon is not None:
        if elat is not None and elon is not None and (elat, elon) != (lat, lon):
            geometry = {"type": "LineString", "coordinates": [[lon, lat], [elon, elat]]}
        else:
            geometry = {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "id": item["event_id"], "geometry": geometry,
            "properties": item}


@router.get("/api/events", response_model=EventPage)
def events(
    f: Annotated[EventFilter, Depends(event_filter)],
    state: Annotated[AppState, Depends(get_state)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Stored events matching the filters, one page, ordered by start time."""
    with state.read() as st:
        total, items = page(st, f, limit, offset)
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.get("/api/events.geojson", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def events_geojson(
    f: Annotated[EventFilter, Depends(event_filter)],
    state: Annotated[AppState, Depends(get_state)],
    limit: Annotated[int, Query(ge=1, le=MAX_GEOJSON)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The same page as ``/api/events`` as a GeoJSON FeatureCollection (items as properties;
    ``total``, ``offset``, ``limit`` as foreign members)."""
    with state.read() as st:
        total, items = page(st, f, limit, offset)
    body = {"type": "FeatureCollection", "total": total, "offset": offset, "limit": limit,
            "features": [feature(i) for i in items]}
    return Response(json.dumps(body, ensure_ascii=False, allow_nan=False),
                    media_type="application/geo+json")


@router.get("/api/zones", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def zones() -> Response:
    """The built-in zones (DPRK waters, STS areas) as GeoJSON: zone_id, name, kind, is_dprk."""
    from importlib.resources import files

    text = files("sanctionwatch").joinpath("data/zones.geojson").read_text(encoding="utf-8")
    data = json.loads(text)
    keep = ("zone_id", "name", "kind", "is_dprk")
    for ft in data.get("features", []):
        ft["properties"] = {k: ft["properties"].get(k) for k in keep}
    return Response(json.dumps(data), media_type="application/geo+json")
