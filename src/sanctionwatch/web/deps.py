"""Shared pieces of the routers: the app state, the event filters, JSON-safe rows."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Annotated, Any

import polars as pl
from fastapi import HTTPException, Query, Request

from sanctionwatch.export.events import designated_mmsis, latest_names
from sanctionwatch.store import EventFilter
from sanctionwatch.web.state import AppState

MAX_PAGE = 1000
"""Largest ``limit`` of a JSON page (``/api/events``, ``/api/quality``)."""
MAX_GEOJSON = 10_000
"""Largest ``limit`` of ``/api/events.geojson`` (a map view; exports have no limit)."""


def get_state(request: Request) -> AppState:
    """The :class:`AppState` of the app serving ``request``."""
    state: AppState = request.app.state.sw
    return state


def parse_time(value: str | None, name: str) -> datetime | None:
    """ISO 8601 text as an aware UTC time (a naive one is taken as UTC); 400 when invalid."""
    if value is None or not value.strip():
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise HTTPException(400, f"{name}: not an ISO 8601 time: {value!r}") from exc
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat``; 400 when not four numbers in range."""
    if value is None or not value.strip():
        return None
    try:
        nums = [float(x) for x in value.split(",")]
    except ValueError as exc:
        raise HTTPException(400, f"bbox: not numbers: {value!r}") from exc
    if len(nums) != 4 or not all(math.isfinite(x) for x in nums):
        raise HTTPException(400, "bbox needs four numbers: minlon,minlat,maxlon,maxlat")
    lo0, la0, lo1, la1 = nums
    if not (-180 <= lo0 <= lo1 <= 180 and -90 <= la0 <= la1 <= 90):
        raise HTTPException(400, "bbox: need -180 <= minlon <= maxlon <= 180 and "
                                 "-90 <= minlat <= maxlat <= 90")
    return lo0, la0, lo1, la1


def event_filter(
    type: Annotated[list[str] | None, Query(description="Event type (repeatable).")] = None,
    since: Annotated[str | None, Query(description="Events ending at/after (ISO 8601).")] = None,
    until: Annotated[str | None, Query(description="Events starting at/before.")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    zone: Annotated[str | None, Query(description="zone_id of a built-in zone.")] = None,
    mmsi: Annotated[int | None, Query(description="Vessel MMSI, either party.")] = None,
    designated: Annotated[bool, Query(description="Only events involving a vessel that "
                                      "matched a listed vessel.")] = False,
    dprk: Annotated[bool, Query(description="Only DPRK ports and waters.")] = False,
) -> EventFilter:
    """The event filters of the query string (no paging)."""
    return EventFilter(
        event_types=tuple(t for t in (type or ()) if t), mmsi=mmsi,
        since=parse_time(since, "since"), until=parse_time(until, "until"),
        bbox=parse_bbox(bbox), dprk_only=dprk, zone_id=zone or None,
        designated_only=designated)


def iso(value: Any) -> Any:
    """Times as ISO 8601 UTC text (``...Z``), NaN and infinities as None, others unchanged."""
    if isinstance(value, datetime):
        v = value if value.tzinfo is None else value.astimezone(UTC)
        return v.replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``df`` as JSON-able dicts (:func:`iso` on every value)."""
    return [{k: iso(v) for k, v in r.items()} for r in df.iter_rows(named=True)]


__all__ = ["MAX_GEOJSON", "MAX_PAGE", "designated_mmsis", "event_filter", "get_state", "iso",
           "json_rows", "latest_names", "parse_bbox", "parse_time"]
