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
    and differ, a Point at ``lat, lon`` when that is finite, else null. A line whose ends are
    more than 180 degrees of longitude apart crosses the antimeridian (the short way round):
    it is a MultiLineString of its two halves, split at 180 degrees at the latitude
    interpolated linearly in longitude (RFC 7946 section 3.1.9)."""
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
    cross = line & ((pl.col("end_lon") - pl.col("lon")).abs() > 180.0)
    # the start's side of the antimeridian, and the end unwrapped onto that side
    side = pl.when(pl.col("lon") > 0).then(pl.lit(180.0)).otherwise(pl.lit(-180.0))
    end_unwrapped = pl.col("end_lon") + 2.0 * side
    at = pl.col("lat") + (side - pl.col("lon")) / (end_unwrapped - pl.col("lon")) * (
        pl.col("end_lat") - pl.col("lat"))
    halves = pl.concat_list(
        pl.concat_list(pair("lon", "lat"), pl.concat_list(side, at).list.to_array(2))
        .list.to_array(2),
        pl.concat_list(pl.concat_list(-side, at).list.to_array(2), pair("end_lon", "end_lat"))
        .list.to_array(2),
    )
    geometry = (
        pl.when(cross)
        .then(pl.struct(type=pl.lit("MultiLineString"), coordinates=halves).struct.json_encode())
        .when(line)
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
