"""Exports of events, tracks and entities for other tools: GeoJSON, GeoParquet, KML, CSV
(formula-injection safe, :mod:`sanctionwatch.export.inert`) and FollowTheMoney JSON lines."""

from sanctionwatch.export.geojson import events_geojson, geojson_text, write_geojson

__all__ = ["events_geojson", "geojson_text", "write_geojson"]
