"""Events and tracks written in any export format (the CLI ``export`` commands and the
``/api/export`` downloads both call these)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any, Literal

import polars as pl

from sanctionwatch.store import DuckDBStore, table_columns

EventFormat = Literal["geojson", "geoparquet", "kml", "csv"]
TrackFormat = Literal["geojson", "geoparquet", "kml"]
EVENT_FORMATS: tuple[str, ...] = ("geojson", "geoparquet", "kml", "csv")
TRACK_FORMATS: tuple[str, ...] = ("geojson", "geoparquet", "kml")
MEDIA_TYPES = {"geojson": "application/geo+json", "geoparquet": "application/vnd.apache.parquet",
               "kml": "application/vnd.google-earth.kml+xml", "csv": "text/csv; charset=utf-8"}
SUFFIXES = {"geojson": "geojson", "geoparquet": "parquet", "kml": "kml", "csv": "csv"}


def latest_names(st: DuckDBStore, mmsis: list[int]) -> dict[int, str]:
    """The latest broadcast name of each of ``mmsis`` that has one (``vessel_identities``)."""
    if not mmsis or not table_columns(st.con, "vessel_identities"):
        return {}
    rows = st.con.execute(
        "SELECT mmsi, name FROM vessel_identities WHERE list_contains(?::BIGINT[], mmsi) "
        "AND name IS NOT NULL QUALIFY row_number() OVER (PARTITION BY mmsi "
        "ORDER BY last_seen DESC, first_seen DESC) = 1", [mmsis]).fetchall()
    return {int(m): str(n) for m, n in rows}


def designated_mmsis(st: DuckDBStore, mmsis: list[int]) -> set[int]:
    """Which of ``mmsis`` matched a listed vessel (``vessel_matches.is_match``)."""
    if not mmsis or not table_columns(st.con, "vessel_matches"):
        return set()
    rows = st.con.execute(
        "SELECT DISTINCT mmsi FROM vessel_matches WHERE is_match AND "
        "list_contains(?::BIGINT[], mmsi)", [mmsis]).fetchall()
    return {int(r[0]) for r in rows}


def event_mmsis(events: pl.DataFrame) -> list[int]:
    """Every MMSI of ``events``, either party, sorted."""
    return sorted({int(m) for m in events["mmsi"].to_list()}
                  | {int(m) for m in events["other_mmsi"].drop_nulls().to_list()})


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


__all__ = ["EVENT_FORMATS", "MEDIA_TYPES", "SUFFIXES", "TRACK_FORMATS", "designated_mmsis",
           "event_mmsis", "events_bytes", "events_csv", "latest_names", "tracks_bytes"]
