"""Events and tracks written in any export format (the CLI ``export`` commands and the
``/api/export`` downloads both call these)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any, Literal

import polars as pl

EventFormat = Literal["geojson", "geoparquet", "kml", "csv"]
TrackFormat = Literal["geojson", "geoparquet", "kml"]
EVENT_FORMATS: tuple[str, ...] = ("geojson", "geoparquet", "kml", "csv")
TRACK_FORMATS: tuple[str, ...] = ("geojson", "geoparquet", "kml")
MEDIA_TYPES = {"geojson": "application/geo+json", "geoparquet": "application/vnd.apache.parquet",
               "kml": "application/vnd.google-earth.kml+xml", "csv": "text/csv; charset=utf-8"}
SUFFIXES = {"geojson": "geojson", "geoparquet": "parquet", "kml": "kml", "csv": "csv"}


def events_csv(events: pl.DataFrame) -> str:
    """Events as CSV, every text cell inert in a spreadsheet (:mod:`.inert`); list columns
    joined with ``;``."""
    from sanctionwatch.export.inert import spreadsheet_frame

    flat = events.with_columns(
        [pl.col(c).list.join(";") for c, t in events.schema.items() if isinstance(t, pl.List)])
    return spreadsheet_frame(flat).write_csv()


def events_bytes(events: pl.DataFrame, fmt: str,
                 names: Mapping[int, str] | None = None) -> bytes:
    """``events`` in ``fmt`` (one of :data:`EVENT_FORMATS`); ``names`` (MMSI → name) labels
    the KML placemarks."""
    from sanctionwatch.export.geojson import geojson_text

    if fmt == "geojson":
        return geojson_text(events).encode()
    if fmt == "csv":
        return events_csv(events).encode()
    if fmt == "kml":
        from sanctionwatch.export.kml import events_kml

        return events_kml(events, names).encode()
    if fmt == "geoparquet":
        from sanctionwatch.export.geoparquet import write_events_geoparquet

        buf = io.BytesIO()
        write_events_geoparquet(events, buf)
        return buf.getvalue()
    raise ValueError(f"unknown event export format {fmt!r}: use {', '.join(EVENT_FORMATS)}")


def tracks_bytes(tracks: list[dict[str, Any]], fmt: str) -> bytes:
    """Tracks (:func:`sanctionwatch.export.tracks.vessel_tracks`) in ``fmt`` (one of
    :data:`TRACK_FORMATS`)."""
    if fmt == "geojson":
        from sanctionwatch.export.tracks import tracks_geojson

        return json.dumps(tracks_geojson(tracks)).encode()
    if fmt == "kml":
        from sanctionwatch.export.kml import tracks_kml

        return tracks_kml(tracks).encode()
    if fmt == "geoparquet":
        from sanctionwatch.export.geoparquet import write_tracks_geoparquet

        buf = io.BytesIO()
        write_tracks_geoparquet(tracks, buf)
        return buf.getvalue()
    raise ValueError(f"unknown track export format {fmt!r}: use {', '.join(TRACK_FORMATS)}")


__all__ = ["EVENT_FORMATS", "MEDIA_TYPES", "SUFFIXES", "TRACK_FORMATS", "events_bytes",
           "events_csv", "tracks_bytes"]
