"""GeoJSON of events: a FeatureCollection, one feature per event, every column a property.

Built column-wise in Polars (no Python per event), so writing is linear in the events at the
speed of the JSON encoder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl


def events_geojson(events: pl.DataFrame) -> dict[str, Any]:
    """Events as a GeoJSON FeatureCollection: gaps as lines from OFF to ON, others as points."""
    result: dict[str, Any] = json.loads(geojson_text(events))
    return result


def geojson_text(events: pl.DataFrame) -> str:
    """:func:`events_geojson` as compact JSON text, built column-wise (no Python per event):
    every column is a property (times in ISO 8601, NaN and infinities as null); the
    geometry is a LineString from ``lat, lon`` to ``end_lat, end_lon`` when both are finite
    and differ, a Point at ``lat, lon`` when that is finite, else null."""
    if events.height == 0:
        return '{"type":"FeatureCollection","features":[]}'

    def finite(c: str) -> pl.Expr:
        return pl.col(c).is_not_null() & pl.col(c).is_finite()

    def pair(lon: str, lat: str) -> pl.Expr:
        return pl.concat_list(lon, lat).list.to_array(2)

    point = finite("lat") & finite("lon")
    line = (
        point & finite("end_lat") & finite("end_lon")
        & ((pl.col("end_lat") != pl.col("lat")) | (pl.col("end_lon") != pl.col("lon")))
    )
    geometry = (
        pl.when(line)
        .then(pl.struct(type=pl.lit("LineString"),
                        coordinates=pl.concat_list(pair("lon", "lat"), pair("end_lon", "end_lat")))
              .struct.json_encode())
        .when(point)
        .then(pl.struct(type=pl.lit("Point"), coordinates=pl.concat_list("lon", "lat"))
              .struct.json_encode())
        .otherwise(pl.lit("null"))
    )
    features = events.select(
        pl.concat_str(
            pl.lit('{"type":"Feature","id":'),
            pl.struct("event_id").struct.json_encode().str.slice(12).str.head(-1),
            pl.lit(',"geometry":'),
            geometry,
            pl.lit(',"properties":'),
            pl.struct(pl.all()).struct.json_encode(),
            pl.lit("}"),
        )
    ).to_series()
    return '{"type":"FeatureCollection","features":[' + ",".join(features.to_list()) + "]}"


def write_geojson(events: pl.DataFrame, path: Path) -> None:
    """Write :func:`events_geojson` to ``path``."""
    path.write_text(geojson_text(events))


__all__ = ["events_geojson", "geojson_text", "write_geojson"]
