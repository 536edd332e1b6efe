"""``/api/export``: events, tracks and entities as files (Content-Disposition attachment)."""

from __future__ import annotations

import io
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from sanctionwatch.store import EventFilter
from sanctionwatch.web.deps import event_filter, get_state, latest_names
from sanctionwatch.web.routers.vessels import load_tracks
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["exports"])

SUFFIX_FORMAT = {"geojson": "geojson", "parquet": "geoparquet", "kml": "kml", "csv": "csv"}


def attachment(data: bytes, filename: str, media_type: str) -> Response:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/api/export/events.{suffix}")
def export_events(
    suffix: Literal["geojson", "parquet", "kml", "csv"],
    f: Annotated[EventFilter, Depends(event_filter)],
    state: Annotated[AppState, Depends(get_state)],
) -> Response:
    """Every event matching the filters as GeoJSON, GeoParquet, KML or CSV (formula-safe)."""
    from sanctionwatch.export.events import MEDIA_TYPES, event_mmsis, events_bytes

    fmt = SUFFIX_FORMAT[suffix]
    with state.read() as st:
        df = st.events(f)
        names = latest_names(st, event_mmsis(df)) if fmt == "kml" else None
    return attachment(events_bytes(df, fmt, names), f"events.{suffix}", MEDIA_TYPES[fmt])


@router.get("/api/export/track/{key}.{suffix}")
def export_track(key: str, suffix: Literal["geojson", "parquet", "kml"],
                 state: Annotated[AppState, Depends(get_state)]) -> Response:
    """The vessel's tracks as GeoJSON, GeoParquet or KML."""
    from sanctionwatch.export.events import MEDIA_TYPES, tracks_bytes

    fmt = SUFFIX_FORMAT[suffix]
    tracks = load_tracks(state, key)
    if not tracks:
        raise HTTPException(404, f"no positions of {key} in the outputs of the runs recorded "
                                 "in the store")
    safe = "".join(c for c in key if c.isalnum())
    return attachment(tracks_bytes(tracks, fmt), f"track-{safe}.{suffix}", MEDIA_TYPES[fmt])


@router.get("/api/export/entities.ftm.json")
def export_entities(state: Annotated[AppState, Depends(get_state)]) -> Response:
    """The list entities and the relationship graph's nodes and links as FtM JSON lines."""
    from sanctionwatch.export.ftm import write_ftm
    from sanctionwatch.screening.screen import NoListsLoaded

    graph = state.graph()
    try:
        entities = list(state.lists().entities.values())
    except NoListsLoaded:
        entities = []
    buf = io.StringIO()
    write_ftm(entities, graph, buf)
    return attachment(buf.getvalue().encode(), "entities.ftm.json", "application/x-ndjson")
