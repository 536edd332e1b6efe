"""Exports of events for other tools (GeoJSON today)."""

from sanctionwatch.export.geojson import events_geojson, geojson_text, write_geojson

__all__ = ["events_geojson", "geojson_text", "write_geojson"]
